#include "machine/manager.h"

#include <gtest/gtest.h>

#include "base/file_util.h"
#include "fakes/fake_driver.h"
#include "machine/temp_dir.h"

namespace berth::machine {
namespace {

class CountingNetwork : public LabNetwork {
 public:
  Result<int> Ensure(const std::string&) override { return 40000; }
  Status Attach(const MachineConfig& c) override {
    attached.insert(c.name);
    return Status::Ok();
  }
  Status Detach(const MachineConfig& c) override {
    attached.erase(c.name);
    return Status::Ok();
  }
  Status Release(const std::string& n) override {
    released.insert(n);
    return Status::Ok();
  }
  std::set<std::string> attached, released;
};

class ManagerTest : public ::testing::Test {
 protected:
  ManagerTest()
      : store_(dir_.path()), manager_(store_, driver_, net_, ready_, [] {
          return Result<GuestImage>(GuestImage{"/k", "/i", "console=ttyS0", "h"});
        }) {}
  berth::testing::TempDir dir_;
  Store store_;
  berth::testing::FakeDriver driver_;
  berth::testing::FakeReadiness ready_;
  CountingNetwork net_;
  Manager manager_;
};

TEST_F(ManagerTest, CreatesInParallelWithUniqueIdentity) {
  auto r = manager_.CreateMany({"a", "b", "c"}, {});
  for (const auto& s : r) ASSERT_TRUE(s.ok()) << s.message();
  std::set<int> ports;
  std::set<std::string> addrs;
  for (const char* n : {"a", "b", "c"}) {
    auto c = store_.Load(n);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->phase, "ready");
    EXPECT_EQ(c->lab.fabric_port, 40000);
    ports.insert({c->ssh_port, c->engine_port, c->lab.local_port});
    addrs.insert(c->lab.address);
    EXPECT_TRUE(PathExists(store_.PathOf(n, "disk.raw")));
    EXPECT_TRUE(PathExists(store_.PathOf(n, "known_hosts")));
  }
  EXPECT_EQ(ports.size(), 9u);
  EXPECT_EQ(addrs.size(), 3u);
  EXPECT_EQ(net_.attached.size(), 3u);
}

TEST_F(ManagerTest, BadInputCreatesNothing) {
  for (auto names : std::vector<std::vector<std::string>>{{"ok", "Bad"}, {"x", "x"}, {}}) {
    auto r = manager_.CreateMany(names, {});
    ASSERT_FALSE(r.empty());
    EXPECT_FALSE(r[0].ok());
  }
  CreateOptions o;
  o.resources.memory_mb = 16;
  auto r = manager_.CreateMany({"ok"}, o);
  EXPECT_NE(r[0].message().find("--memory"), std::string::npos);
  EXPECT_TRUE(store_.List().value().empty());
  EXPECT_TRUE(driver_.created_.empty());
}

TEST_F(ManagerTest, ForwardsAreAllocatedPerMachineAndKept) {
  CreateOptions o;
  o.forwards = {{8080, 0}};
  auto r = manager_.CreateMany({"a", "b"}, o);
  for (const auto& s : r) ASSERT_TRUE(s.ok()) << s.message();
  auto a = store_.Load("a").value(), b = store_.Load("b").value();
  ASSERT_EQ(a.forwards.size(), 1u);
  EXPECT_NE(a.HostPortFor(8080), 0);
  EXPECT_NE(a.HostPortFor(8080), b.HostPortFor(8080));
  ASSERT_TRUE(manager_.Stop("a", std::chrono::seconds(1)).ok());
  ASSERT_TRUE(manager_.Start("a", std::chrono::seconds(1)).ok());
  EXPECT_EQ(store_.Load("a").value().forwards, a.forwards);
  // A fixed host port cannot go to two machines: refused before anything is made.
  o.forwards = {{8080, 30080}};
  auto fixed = manager_.CreateMany({"c", "d"}, o);
  ASSERT_FALSE(fixed[0].ok());
  EXPECT_NE(fixed[0].message().find("one machine only"), std::string::npos);
  EXPECT_FALSE(store_.Exists("c"));
}

TEST_F(ManagerTest, ExistingNameIsRefused) {
  ASSERT_TRUE(manager_.CreateMany({"a"}, {})[0].ok());
  auto before = store_.Load("a").value();
  auto r = manager_.CreateMany({"a"}, {});
  EXPECT_EQ(r[0].code(), Code::kAlreadyExists);
  EXPECT_EQ(ToJson(store_.Load("a").value()), ToJson(before));
}

TEST_F(ManagerTest, PrecheckFailureCreatesNothing) {
  driver_.precheck_ = Unavailable("connect to qemu:///system: is libvirtd running?");
  auto r = manager_.CreateMany({"a"}, {});
  EXPECT_NE(r[0].message().find("libvirtd"), std::string::npos);
  EXPECT_FALSE(store_.Exists("a"));
}

TEST_F(ManagerTest, FailedDefineUnwinds) {
  driver_.fail_create_.insert("b");
  auto r = manager_.CreateMany({"a", "b"}, {});
  EXPECT_TRUE(r[0].ok());
  EXPECT_FALSE(r[1].ok());
  EXPECT_NE(r[1].message().find("create machine 'b'"), std::string::npos);
  // Unwound: nothing of b remains but its error.
  EXPECT_TRUE(store_.Exists("a"));
  EXPECT_FALSE(store_.Exists("b"));
  EXPECT_FALSE(net_.attached.count("b"));
}

TEST_F(ManagerTest, StateIsLibvirtsTruth) {
  ASSERT_TRUE(manager_.CreateMany({"a"}, {})[0].ok());
  EXPECT_EQ(manager_.Inspect("a")->state, "Running");
  driver_.Forget("a");  // removed behind berth's back
  auto info = manager_.Inspect("a");
  EXPECT_EQ(info->state, "Missing");
  EXPECT_NE(info->error.find("berth machine start a"), std::string::npos);
}

TEST_F(ManagerTest, StopStartKeepsIdentity) {
  ASSERT_TRUE(manager_.CreateMany({"a"}, {})[0].ok());
  Json before = ToJson(store_.Load("a").value());
  ASSERT_TRUE(manager_.Stop("a", std::chrono::seconds(1)).ok());
  EXPECT_EQ(manager_.Inspect("a")->state, "Stopped");
  ASSERT_TRUE(manager_.Start("a", std::chrono::seconds(1)).ok());
  EXPECT_EQ(manager_.Inspect("a")->state, "Running");
  EXPECT_EQ(ToJson(store_.Load("a").value()), before);
}

TEST_F(ManagerTest, InterruptedCreateIsListedAndRemovable) {
  ASSERT_TRUE(store_.Reserve("half").ok());  // as if killed before config.json
  auto list = manager_.List();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].state, "Broken");
  EXPECT_FALSE(manager_.Remove("half", false).ok());
  EXPECT_TRUE(store_.Exists("half"));
  ASSERT_TRUE(manager_.Remove("half", true).ok());
  EXPECT_FALSE(store_.Exists("half"));
  EXPECT_TRUE(driver_.removed_.count("half"));
}

TEST_F(ManagerTest, NetworkIsReleasedOnlyByItsLastMachine) {
  ASSERT_TRUE(manager_.CreateMany({"a", "b"}, {})[0].ok());
  ASSERT_TRUE(manager_.Remove("a", false).ok());
  EXPECT_FALSE(net_.released.count("default"));
  ASSERT_TRUE(manager_.Remove("b", false).ok());
  EXPECT_TRUE(net_.released.count("default"));
}

TEST_F(ManagerTest, RemoveLeavesNothing) {
  ASSERT_TRUE(manager_.CreateMany({"a"}, {})[0].ok());
  ASSERT_TRUE(manager_.Remove("a", false).ok());
  EXPECT_FALSE(store_.Exists("a"));
  EXPECT_EQ(manager_.Inspect("a").status().code(), Code::kNotFound);
  EXPECT_FALSE(net_.attached.count("a"));
  EXPECT_TRUE(net_.released.count("default"));  // the last machine of the network left
  EXPECT_EQ(manager_.Remove("a", false).code(), Code::kNotFound);
}

TEST_F(ManagerTest, NotReadyKeepsMachineForInspection) {
  ready_.never_ready_.insert("slow");
  auto r = manager_.CreateMany({"slow"}, {});
  EXPECT_EQ(r[0].code(), Code::kDeadlineExceeded);
  EXPECT_EQ(store_.Load("slow")->phase, "creating");
}

}  // namespace
}  // namespace berth::machine
