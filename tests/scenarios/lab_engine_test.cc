#include "scenarios/lab_engine.h"

#include <gtest/gtest.h>

#include "scenarios/parser.h"

namespace berth::scenarios {
namespace {

TEST(LabEngineTest, PublishedPorts) {
  EXPECT_EQ(*ParsePublishedPort("8080"), std::make_pair(8080, 8080));
  EXPECT_EQ(*ParsePublishedPort("80:8080"), std::make_pair(80, 8080));
  for (const char* bad : {"", "x", "0", "70000", "80:", ":80", "1:2:3", "-1"})
    EXPECT_FALSE(ParsePublishedPort(bad).ok()) << bad;
  EXPECT_EQ(*SplitTarget("web1:8080"), std::make_pair(std::string("web1"), 8080));
  EXPECT_FALSE(SplitTarget("web1").ok());
}

Scenario Quickstart() {
  Scenario s;
  s.images = {"busybox:latest"};
  for (const char* m : {"web1", "web2"}) {
    ContainerSpec c;
    c.name = "web";
    c.machine = m;
    c.image = "busybox";
    c.ports = {"8080:80"};
    s.containers.push_back(c);
  }
  ProbeSpec p;
  p.targets = {"web1:8080", "web2:9090"};
  s.probes.push_back(p);
  Step step;
  Condition http;
  http.kind = Condition::Kind::kHttp;
  http.target = "web3:7070";
  step.condition = http;
  s.timeline.push_back(step);
  return s;
}

TEST(LabEngineTest, PlanForwardsPublishedAndTargetedPorts) {
  auto plan = PlanLab(Quickstart());
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_TRUE(plan->needs_engine);
  EXPECT_EQ(plan->forwards["web1"], std::set<int>({8080}));
  EXPECT_EQ(plan->forwards["web2"], std::set<int>({8080, 9090}));
  EXPECT_EQ(plan->forwards["web3"], std::set<int>({7070}));
  EXPECT_FALSE(PlanLab(Scenario{})->needs_engine);
}

TEST(LabEngineTest, PlanRefusesWhatTheLabCannotDo) {
  Scenario s = Quickstart();
  s.containers[1].image = "nginx:latest";
  auto plan = PlanLab(s);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(plan.status().message().find("image 'nginx:latest' cannot be seeded"),
            std::string::npos);
  EXPECT_NE(plan.status().message().find("Nothing was created"), std::string::npos);
  s = Quickstart();
  s.probes[0].targets = {"web1:2376"};
  EXPECT_FALSE(PlanLab(s).ok());
  s = Quickstart();
  s.probes[0].type = ProbeType::kKv;
  s.probes[0].store = "redis";
  EXPECT_FALSE(PlanLab(s).ok());
  s = Quickstart();
  s.containers[0].ports = {"80:"};
  EXPECT_FALSE(PlanLab(s).ok());
}

}  // namespace
}  // namespace berth::scenarios
