#include "machine/allocator.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>

#include "base/file_util.h"
#include "fakes/loopback_port.h"
#include "machine/temp_dir.h"

namespace berth::machine {
namespace {

class SetProbe : public PortProbe {
 public:
  std::set<int> busy_tcp, busy_udp;
  bool TcpFree(const std::string&, int p) override { return !busy_tcp.count(p); }
  bool UdpFree(const std::string&, int p) override { return !busy_udp.count(p); }
};

TEST(AllocatorTest, FirstMachine) {
  SetProbe probe;
  auto a = Allocate({}, probe);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->ssh_port, 24000);
  EXPECT_EQ(a->engine_port, 24001);
  EXPECT_EQ(a->lab_local_port, 24002);
  EXPECT_EQ(a->lab_address, "10.77.0.11");
  EXPECT_EQ(a->lab_mac, "52:54:00:77:00:0b");
  EXPECT_NE(a->mgmt_mac, a->lab_mac);
}

TEST(AllocatorTest, ForwardsGetFreePortsOrKeepTheirOwn) {
  SetProbe probe;
  MachineConfig other;
  other.ssh_port = 24000;
  other.engine_port = 24001;
  other.lab.local_port = 24002;
  other.forwards = {{80, 24003}, {81, 30000}};
  probe.busy_tcp = {24005};
  auto a = Allocate({other}, probe, {}, {{8080, 0}, {2379, 18080}, {9000, 0}});
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->ssh_port, 24004);
  EXPECT_EQ(a->engine_port, 24006);  // 24005 is busy
  EXPECT_EQ(a->lab_local_port, 24007);
  ASSERT_EQ(a->forwards.size(), 3u);
  EXPECT_EQ(a->forwards[0], (PortForward{8080, 24008}));
  EXPECT_EQ(a->forwards[1], (PortForward{2379, 18080}));
  EXPECT_EQ(a->forwards[2], (PortForward{9000, 24009}));
}

TEST(AllocatorTest, ForwardConflictsAreClearErrors) {
  SetProbe probe;
  MachineConfig other;
  other.forwards = {{80, 30000}};
  probe.busy_tcp = {30001};
  auto taken = Allocate({other}, probe, {}, {{8080, 30000}});
  ASSERT_FALSE(taken.ok());
  EXPECT_NE(taken.status().message().find("127.0.0.1:30000 is already in use"), std::string::npos);
  EXPECT_FALSE(Allocate({other}, probe, {}, {{8080, 30001}}).ok());  // another process has it
  auto twice = Allocate({}, probe, {}, {{8080, 0}, {8080, 0}});
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("forwarded twice"), std::string::npos);
}

TEST(AllocatorTest, RegistryPortIsPickedOnceAndKept) {
  berth::testing::TempDir dir;
  SetProbe probe;
  probe.busy_tcp = {kRegistryPortMin};
  auto first = RegistryPort(dir.path(), probe);
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(*first, kRegistryPortMin + 1);
  probe.busy_tcp = {kRegistryPortMin + 1};  // now the registry itself listens there
  EXPECT_EQ(RegistryPort(dir.path(), probe).value(), kRegistryPortMin + 1);
  WriteFileAtomic(dir.path() + "/registry/port.json", "{\"port\": \"x\"}").ok();
  auto bad = RegistryPort(dir.path(), probe);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("port.json"), std::string::npos);
}

TEST(AllocatorTest, SkipsWhatOthersUseAndBusyPorts) {
  SetProbe probe;
  MachineConfig m;
  m.ssh_port = 24000;
  m.engine_port = 24001;
  m.lab.local_port = 24002;
  m.lab.address = "10.77.0.11";
  probe.busy_tcp = {24003};
  probe.busy_udp = {24005};
  auto a = Allocate({m}, probe);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->ssh_port, 24004);
  EXPECT_EQ(a->engine_port, 24005);  // busy for UDP only: fine for TCP
  EXPECT_EQ(a->lab_local_port, 24006);
  EXPECT_EQ(a->lab_address, "10.77.0.12");
}

TEST(AllocatorTest, NeverPicksFromTheAvoidedRange) {
  SetProbe probe;
  AllocatorOptions o;
  o.avoid = {o.port_min, o.port_min + 1};
  auto a = Allocate({}, probe, o);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->ssh_port, o.port_min + 2);
  o.avoid = {o.port_min, o.port_max};  // the whole range: a clear error naming the sysctl
  auto none = Allocate({}, probe, o);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("ip_local_port_range"), std::string::npos);
  berth::testing::TempDir dir;
  auto reg = RegistryPort(dir.path(), probe, "127.0.0.1", {kRegistryPortMin, kRegistryPortMin + 9});
  ASSERT_TRUE(reg.ok());
  EXPECT_EQ(*reg, kRegistryPortMin + 10);
}

TEST(AllocatorTest, KernelEphemeralRangeIsRead) {
  PortRange r = KernelEphemeralPorts();
  EXPECT_GT(r.min, 0);
  EXPECT_GE(r.max, r.min);
  EXPECT_LE(r.max, 65535);
}

TEST(AllocatorTest, StartCheckNamesTheBusyPortAndWhatItIsFor) {
  SetProbe probe;
  MachineConfig m;
  m.name = "web2";
  m.ssh_port = 24000;
  m.engine_port = 24001;
  m.lab.local_port = 24002;
  m.forwards = {{8080, 24003}};
  EXPECT_TRUE(CheckHostPortsFree(m, probe, {}).ok());
  probe.busy_tcp = {24003};
  auto s = CheckHostPortsFree(m, probe, {});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("127.0.0.1:24003 (forward of guest port 8080 of machine 'web2')"),
            std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("ss -ltnup"), std::string::npos);
  probe.busy_tcp = {24000};  // an old machine's port in the ephemeral range
  s = CheckHostPortsFree(m, probe, {20000, 30000});
  EXPECT_NE(s.message().find("(SSH of machine 'web2')"), std::string::npos);
  EXPECT_NE(s.message().find("ephemeral range 20000-30000"), std::string::npos);
  probe.busy_tcp = {};
  probe.busy_udp = {24002};
  EXPECT_NE(CheckHostPortsFree(m, probe, {}).message().find("lab tunnel"), std::string::npos);
}

TEST(AllocatorTest, ReusesFreedAddress) {
  SetProbe probe;
  MachineConfig m1, m3;
  m1.lab.address = "10.77.0.11";
  m3.lab.address = "10.77.0.13";
  EXPECT_EQ(Allocate({m1, m3}, probe)->lab_address, "10.77.0.12");
}

TEST(AllocatorTest, ExhaustionIsAClearError) {
  SetProbe probe;
  AllocatorOptions o;
  o.port_min = 50000;
  o.port_max = 50001;
  auto a = Allocate({}, probe, o);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("no free ports"), std::string::npos);
  o.lab_subnet = "10.0.0.0/16";
  EXPECT_NE(Allocate({}, probe, o).status().message().find("/24"), std::string::npos);
}

TEST(AllocatorTest, RealProbeSeesBoundPort) {
  BindPortProbe probe;
  // A port we hold open must not be free.
  int port = 0;
  UniqueFd fd = berth::testing::BindLoopbackTcp(&port);
  ASSERT_TRUE(fd);
  listen(fd.get(), 1);
  EXPECT_FALSE(probe.TcpFree("127.0.0.1", port));
}

// What a killed machine leaves behind, and what broke a restart in CI.
TEST(AllocatorTest, RealProbeIgnoresAKilledListenersConnectionsButNotClientPorts) {
  BindPortProbe probe;
  int port = 0;
  UniqueFd listener = berth::testing::BindLoopbackTcp(&port);
  ASSERT_TRUE(listener);
  int one = 1;
  setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ASSERT_EQ(listen(listener.get(), 1), 0);
  UniqueFd client(socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  UniqueFd accepted(accept(listener.get(), nullptr, nullptr));
  ASSERT_TRUE(accepted);
  // The "machine" dies: its listener and its side of the connection close.
  listener.Reset();
  accepted.Reset();
  EXPECT_TRUE(probe.TcpFree("127.0.0.1", port));
  // The client's port, closed first, sits in TIME_WAIT without SO_REUSEADDR:
  // a listener cannot bind it for a minute.
  sockaddr_in local{};
  socklen_t len = sizeof local;
  {  // a fresh pair where the client closes first
    int port2 = 0;
    UniqueFd l2 = berth::testing::BindLoopbackTcp(&port2);
    ASSERT_TRUE(l2);
    ASSERT_EQ(listen(l2.get(), 1), 0);
    UniqueFd c2(socket(AF_INET, SOCK_STREAM, 0));
    addr.sin_port = htons(static_cast<uint16_t>(port2));
    ASSERT_EQ(connect(c2.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    len = sizeof local;
    getsockname(c2.get(), reinterpret_cast<sockaddr*>(&local), &len);
    UniqueFd server_side(accept(l2.get(), nullptr, nullptr));
    c2.Reset();  // client closes first: its port goes to TIME_WAIT once the server closes
    server_side.Reset();
  }
  EXPECT_FALSE(probe.TcpFree("127.0.0.1", ntohs(local.sin_port)));
}

}  // namespace
}  // namespace berth::machine
