// The client API against the real berth-fabric binary.
#include "fabric/client.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "tests/fabric/harness.h"

namespace berth::fabric::testing {
namespace {

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("BERTH_FABRIC_BINARY", BERTH_FABRIC_TEST_BINARY, 1);
    char tmpl[] = "/tmp/berth-fabric-client-XXXXXX";
    home_ = mkdtemp(tmpl);
  }
  void TearDown() override {
    EXPECT_TRUE(StopNetwork(home_, "lab").ok());
    (void)RemoveAll(home_);
  }
  std::string home_;
};

TEST_F(ClientTest, EnsureAttachStopAndRestartKeepThePortAndMachines) {
  auto info = EnsureNetwork(home_, "lab");
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_EQ(info->name, "lab");
  EXPECT_EQ(info->subnet, "10.77.0.0/24");
  EXPECT_EQ(info->host, "127.0.0.1");
  EXPECT_GT(info->port, 0);
  EXPECT_TRUE(IsRunning(home_, "lab"));
  auto again = EnsureNetwork(home_, "lab");  // already running: same process
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->port, info->port);

  FakeMachine a("a", 1, info->port), b("b", 2, info->port);
  for (auto* m : {&a, &b}) {
    Endpoint ep{m->name(), "127.0.0.1", m->port(), MacString(m->mac()), "10.77.0.1"};
    ASSERT_TRUE(Attach(home_, "lab", ep).ok());
    ASSERT_TRUE(Attach(home_, "lab", ep).ok());  // idempotent
  }
  a.SendTo(b, 1);
  EXPECT_TRUE(b.Receive(1000));

  // SIGTERM: the process exits and removes its pid file and socket.
  ASSERT_TRUE(StopNetwork(home_, "lab").ok());
  EXPECT_FALSE(IsRunning(home_, "lab"));
  EXPECT_FALSE(PathExists(PathsFor(home_, "lab").socket));
  a.SendTo(b, 2);
  EXPECT_FALSE(b.Receive(100));

  auto back = EnsureNetwork(home_, "lab");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->port, info->port);
  a.SendTo(b, 3);  // the same tunnels work again without re-attaching
  auto f = b.Receive(1000);
  ASSERT_TRUE(f);
  EXPECT_EQ(FrameSeq(*f), 3u);
}

TEST_F(ClientTest, AKilledFabricIsReplacedAndDetachWorksOffline) {
  auto info = EnsureNetwork(home_, "lab");
  ASSERT_TRUE(info.ok()) << info.status().message();
  FakeMachine a("a", 1, info->port);
  ASSERT_TRUE(Attach(home_, "lab", {"a", "127.0.0.1", a.port(), "", ""}).ok());
  auto pid = LivePid(PathsFor(home_, "lab").pid);
  ASSERT_TRUE(pid);
  kill(*pid, SIGKILL);
  for (int i = 0; i < 100 && IsRunning(home_, "lab"); ++i) {
    waitpid(*pid, nullptr, WNOHANG);
    usleep(10000);
  }
  EXPECT_FALSE(IsRunning(home_, "lab"));
  ASSERT_TRUE(Detach(home_, "lab", "a").ok());  // edits the file while it is down
  auto back = EnsureNetwork(home_, "lab");
  ASSERT_TRUE(back.ok()) << back.status().message();
  auto show = Call(home_, "lab", {{"op", "show"}});
  ASSERT_TRUE(show.ok());
  EXPECT_TRUE((*show)["machines"].empty());
  EXPECT_TRUE(Detach(home_, "lab", "nobody").ok());  // not attached: fine
}

TEST_F(ClientTest, BadNamesAndMissingNetworksAreClearErrors) {
  EXPECT_EQ(EnsureNetwork(home_, "Bad/Name").status().code(), Code::kInvalidArgument);
  auto r = Call(home_, "nothere", {{"op", "show"}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not running"), std::string::npos);
  EXPECT_TRUE(ListNetworks(home_).empty());
  ASSERT_TRUE(EnsureNetwork(home_, "lab").ok());
  EXPECT_EQ(ListNetworks(home_), std::vector<std::string>{"lab"});
}

}  // namespace
}  // namespace berth::fabric::testing
