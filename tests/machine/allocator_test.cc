#include "machine/allocator.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>

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
  EXPECT_EQ(a->ssh_port, 41000);
  EXPECT_EQ(a->engine_port, 41001);
  EXPECT_EQ(a->lab_local_port, 41002);
  EXPECT_EQ(a->lab_address, "10.77.0.11");
  EXPECT_EQ(a->lab_mac, "52:54:00:77:00:0b");
  EXPECT_NE(a->mgmt_mac, a->lab_mac);
}

TEST(AllocatorTest, SkipsWhatOthersUseAndBusyPorts) {
  SetProbe probe;
  MachineConfig m;
  m.ssh_port = 41000;
  m.engine_port = 41001;
  m.lab.local_port = 41002;
  m.lab.address = "10.77.0.11";
  probe.busy_tcp = {41003};
  probe.busy_udp = {41005};
  auto a = Allocate({m}, probe);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->ssh_port, 41004);
  EXPECT_EQ(a->engine_port, 41005);  // busy for UDP only: fine for TCP
  EXPECT_EQ(a->lab_local_port, 41006);
  EXPECT_EQ(a->lab_address, "10.77.0.12");
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
  // Port 0 binding always succeeds; a port we hold open must not be free.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  listen(fd, 1);
  EXPECT_FALSE(probe.TcpFree("127.0.0.1", ntohs(a.sin_port)));
  close(fd);
}

}  // namespace
}  // namespace berth::machine
