#include "machine/libvirt_driver.h"

#include <gtest/gtest.h>

#include "fakes/fake_hypervisor.h"
#include "machine/temp_dir.h"

namespace berth::machine {
namespace {

using berth::testing::FakeHypervisor;
using DS = DomainState;

class LibvirtDriverTest : public ::testing::Test {
 protected:
  LibvirtDriverTest() : store_(dir_.path()), driver_(hv_, store_) {
    c_.name = "n1";
    c_.domain = "berth-n1";
  }
  berth::testing::TempDir dir_;
  Store store_;
  FakeHypervisor hv_;
  LibvirtDriver driver_;
  MachineConfig c_;
};

TEST(StateMapTest, EveryDomainState) {
  EXPECT_EQ(MapDomainState(DS::kRunning), MachineState::kRunning);
  EXPECT_EQ(MapDomainState(DS::kPaused), MachineState::kPaused);
  EXPECT_EQ(MapDomainState(DS::kShuttingDown), MachineState::kStopping);
  EXPECT_EQ(MapDomainState(DS::kShutOff), MachineState::kStopped);
  EXPECT_EQ(MapDomainState(DS::kCrashed), MachineState::kError);
  EXPECT_STREQ(StateName(MachineState::kMissing), "Missing");
}

TEST(LibvirtDriverUriTest, EachMachineIsDrivenThroughTheUriItWasCreatedWith) {
  berth::testing::TempDir dir;
  Store store(dir.path());
  FakeHypervisor fallback;
  std::vector<std::string> opened;
  FakeHypervisor* session = nullptr;
  LibvirtDriver driver(fallback, store, [&](const std::string& uri) {
    opened.push_back(uri);
    auto hv = std::make_unique<FakeHypervisor>();
    session = hv.get();
    return std::unique_ptr<Hypervisor>(std::move(hv));
  });
  MachineConfig a, b;
  a.name = "a";
  a.domain = "berth-a";
  a.libvirt_uri = fallback.uri();
  b.name = "b";
  b.domain = "berth-b";
  b.libvirt_uri = "qemu:///session";
  ASSERT_TRUE(driver.Create(a).ok());
  ASSERT_TRUE(driver.Create(b).ok());
  ASSERT_NE(session, nullptr);
  EXPECT_TRUE(fallback.State("berth-a").ok());
  EXPECT_FALSE(fallback.State("berth-b").ok());  // not on the CLI's default URI
  EXPECT_EQ(session->State("berth-b").value(), DomainState::kRunning);
  ASSERT_TRUE(driver.Kill(b).ok());
  EXPECT_EQ(driver.State(b).value(), MachineState::kStopped);
  ASSERT_TRUE(driver.Remove(b).ok());
  EXPECT_EQ(driver.State(b).value(), MachineState::kMissing);
  EXPECT_EQ(opened, std::vector<std::string>{"qemu:///session"});  // one connection per URI
}

TEST_F(LibvirtDriverTest, CreateDefinesAndStarts) {
  ASSERT_TRUE(driver_.Create(c_).ok());
  EXPECT_EQ(driver_.State(c_).value(), MachineState::kRunning);
  EXPECT_NE(hv_.Xml("berth-n1").find(store_.PathOf("n1", "serial.log")), std::string::npos);
}

TEST_F(LibvirtDriverTest, DomainRemovedBehindOurBackIsMissing) {
  ASSERT_TRUE(driver_.Create(c_).ok());
  ASSERT_TRUE(hv_.Destroy("berth-n1").ok());
  ASSERT_TRUE(hv_.Undefine("berth-n1").ok());
  EXPECT_EQ(driver_.State(c_).value(), MachineState::kMissing);
  // start brings it back.
  ASSERT_TRUE(driver_.Start(c_).ok());
  EXPECT_EQ(driver_.State(c_).value(), MachineState::kRunning);
}

TEST_F(LibvirtDriverTest, GracefulStopDoesNotDestroy) {
  ASSERT_TRUE(driver_.Create(c_).ok());
  ASSERT_TRUE(driver_.Stop(c_, std::chrono::seconds(5)).ok());
  EXPECT_EQ(hv_.shutdowns(), 1);
  EXPECT_EQ(hv_.destroys(), 0);
  EXPECT_EQ(driver_.State(c_).value(), MachineState::kStopped);
}

TEST_F(LibvirtDriverTest, StopForcesAfterGrace) {
  hv_.set_obey_shutdown(false);
  ASSERT_TRUE(driver_.Create(c_).ok());
  ASSERT_TRUE(driver_.Stop(c_, std::chrono::seconds(0)).ok());
  EXPECT_EQ(hv_.destroys(), 1);
  EXPECT_EQ(driver_.State(c_).value(), MachineState::kStopped);
}

TEST_F(LibvirtDriverTest, RemoveIsIdempotent) {
  ASSERT_TRUE(driver_.Create(c_).ok());
  ASSERT_TRUE(driver_.Remove(c_).ok());
  EXPECT_FALSE(hv_.Has("berth-n1"));
  EXPECT_TRUE(driver_.Remove(c_).ok());
}

TEST_F(LibvirtDriverTest, ErrorsNameTheMachine) {
  hv_.FailNext("define", Status(Code::kInternal, "define domain: libvirt: boom"));
  Status s = driver_.Create(c_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "create machine 'n1': define domain: libvirt: boom");
}

TEST_F(LibvirtDriverTest, PauseResume) {
  ASSERT_TRUE(driver_.Create(c_).ok());
  ASSERT_TRUE(driver_.Pause(c_).ok());
  EXPECT_EQ(driver_.State(c_).value(), MachineState::kPaused);
  ASSERT_TRUE(driver_.Start(c_).ok());  // start of a paused machine resumes it
  EXPECT_EQ(driver_.State(c_).value(), MachineState::kRunning);
}

}  // namespace
}  // namespace berth::machine
