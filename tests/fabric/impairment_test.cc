#include "fabric/impairment.h"

#include "gtest/gtest.h"

namespace berth::fabric {
namespace {

TEST(ImpairmentTest, ParsesNetemUnits) {
  EXPECT_EQ(*ParseDurationNs("50ms"), 50'000'000);
  EXPECT_EQ(*ParseDurationNs("200us"), 200'000);
  EXPECT_EQ(*ParseDurationNs("1.5s"), 1'500'000'000);
  EXPECT_EQ(*ParseDurationNs("0"), 0);
  EXPECT_DOUBLE_EQ(*ParsePercent("1%"), 0.01);
  EXPECT_DOUBLE_EQ(*ParsePercent("0.5%"), 0.005);
  EXPECT_EQ(*ParseRateBps("10mbit"), 10'000'000u);
  EXPECT_EQ(*ParseRateBps("500kbit"), 500'000u);
  EXPECT_EQ(*ParseRateBps("1gbit"), 1'000'000'000u);
  EXPECT_EQ(*ParseRateBps("100kbps"), 800'000u);  // tc: bps is bytes per second
}

TEST(ImpairmentTest, RejectsMalformedValuesWithTheKeyInTheMessage) {
  EXPECT_FALSE(ParseDurationNs("50").ok());
  EXPECT_FALSE(ParseDurationNs("-5ms").ok());
  EXPECT_FALSE(ParseDurationNs("fast").ok());
  EXPECT_FALSE(ParsePercent("1").ok());
  EXPECT_FALSE(ParsePercent("120%").ok());
  EXPECT_FALSE(ParseRateBps("10 parsecs").ok());
  auto r = ParseImpairment(Json{{"loss", "5"}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'loss'"), std::string::npos) << r.status().message();
  r = ParseImpairment(Json{{"delya", "5ms"}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("delya"), std::string::npos);
  EXPECT_FALSE(ParseImpairment(Json{{"jitter", "5ms"}}).ok());  // jitter needs delay
  EXPECT_FALSE(ParseImpairment(Json{{"reorder", "5%"}}).ok());  // reorder needs delay
  EXPECT_FALSE(ParseImpairment(Json{{"distribution", "cauchy"}, {"delay", "1ms"}}).ok());
  EXPECT_FALSE(ParseImpairment(Json{{"loss_ge", "1%"}}).ok());
  EXPECT_FALSE(ParseImpairment(Json{{"limit", 0}}).ok());
  EXPECT_FALSE(ParseImpairment(Json::array()).ok());
}

TEST(ImpairmentTest, RoundTripsThroughJson) {
  auto imp = ParseImpairment(Json{{"delay", "50ms"},
                                  {"jitter", "5ms"},
                                  {"distribution", "normal"},
                                  {"loss_ge", "1%,30%"},
                                  {"duplicate", "2%"},
                                  {"reorder", "25%"},
                                  {"corrupt", "0.1%"},
                                  {"rate", "10mbit"},
                                  {"limit", 50}});
  ASSERT_TRUE(imp.ok()) << imp.status().message();
  EXPECT_EQ(imp->delay_ns, 50'000'000);
  EXPECT_EQ(imp->distribution, DelayDistribution::kNormal);
  EXPECT_DOUBLE_EQ(imp->ge_p, 0.01);
  EXPECT_DOUBLE_EQ(imp->ge_r, 0.30);
  EXPECT_DOUBLE_EQ(imp->ge_bad_loss, 1.0);
  EXPECT_EQ(imp->limit, 50);
  auto again = ParseImpairment(imp->ToJson());
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->ToJson(), imp->ToJson());
  EXPECT_TRUE(ParseImpairment(Json::object())->IsNone());
}

}  // namespace
}  // namespace berth::fabric
