// BridgeNetworkManager against the real kernel, entirely inside network
// namespaces this test creates (nothing touches the host's namespace): a
// network's bridge, a container endpoint with its address and route, and the
// embedded DNS answering over UDP inside the container's namespace.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <thread>

#include "base/file_util.h"
#include "runtime/bridge_network_manager.h"

namespace berth::runtime {
namespace {

// Runs `fn` on a thread inside namespace `netns_fd`.
void InNetns(int netns_fd, const std::function<void()>& fn) {
  std::thread([&] {
    ASSERT_EQ(setns(netns_fd, CLONE_NEWNET), 0);
    fn();
  }).join();
}

// Asks 127.0.0.11:53 (from the calling thread's namespace) for `name`.
std::string AskDns(const std::string& name, uint16_t type) {
  UniqueFd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  timeval tv{2, 0};
  setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(53);
  to.sin_addr.s_addr = htonl(kEmbeddedDnsAddress);
  std::string q = EncodeDnsQuery(42, name, type);
  sendto(s.get(), q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  char buf[512];
  ssize_t r = recv(s.get(), buf, sizeof(buf), 0);
  return r > 0 ? std::string(buf, static_cast<size_t>(r)) : std::string();
}

class BridgeNetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-bnt-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    auto ns = NewNetns();  // stands in for berthd's own namespace
    ASSERT_TRUE(ns.ok()) << ns.status().message();
    engine_ns_ = std::move(*ns);
    InNetns(engine_ns_.get(), [&] {
      auto m = BridgeNetworkManager::Open(root_);
      ASSERT_TRUE(m.ok()) << m.status().message();
      mgr_ = std::move(*m);
    });
    ASSERT_TRUE(mgr_);
  }
  void TearDown() override {
    mgr_.reset();
    (void)RemoveAll(root_);
  }
  std::string root_;
  UniqueFd engine_ns_;
  std::unique_ptr<BridgeNetworkManager> mgr_;
};

TEST_F(BridgeNetworkTest, EndpointsGetAddressesAndDnsNames) {
  NetworkRequest req;
  req.name = "n1";
  req.subnet = *ParseSubnet("10.77.5.0/24");
  auto net = mgr_->Create(req);
  ASSERT_TRUE(net.ok()) << net.status().message();
  EXPECT_EQ(FormatIpv4(net->gateway), "10.77.5.1");
  EXPECT_EQ(mgr_->Create(req).status().code(), Code::kAlreadyExists);

  ContainerSpec web;
  web.name = "web";
  web.endpoints = {{"n1", {"www"}, ""}};
  std::string web_id(64, 'a');
  auto att = mgr_->Attach(web_id, web);
  ASSERT_TRUE(att.ok()) << att.status().message();
  EXPECT_EQ(att->addresses, std::vector<std::string>{"10.77.5.2"});
  ASSERT_EQ(att->netns_path.rfind("/proc/", 0), 0u);

  ContainerSpec cli;
  cli.name = "cli";
  cli.endpoints = {{"n1", {}, "10.77.5.50"}};
  std::string cli_id(64, 'b');
  auto att2 = mgr_->Attach(cli_id, cli);
  ASSERT_TRUE(att2.ok()) << att2.status().message();
  EXPECT_EQ(att2->addresses, std::vector<std::string>{"10.77.5.50"});

  // From inside cli's namespace: eth0 is there and the DNS answers.
  UniqueFd cli_ns(open(att2->netns_path.c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(cli_ns);
  InNetns(cli_ns.get(), [&] {
    auto nl = Netlink::Open();
    ASSERT_TRUE(nl.ok());
    EXPECT_TRUE(nl->LinkIndex("eth0").ok());
    for (const char* name : {"web", "www", "WEB."}) {
      std::string resp = AskDns(name, kDnsTypeA);
      ASSERT_GE(resp.size(), 4u) << name;
      EXPECT_EQ(static_cast<uint8_t>(resp[3]) & 15, kDnsNoError) << name;
      EXPECT_EQ(resp.substr(resp.size() - 4), std::string("\x0a\x4d\x05\x02", 4)) << name;
    }
    std::string nx = AskDns("nosuch", kDnsTypeA);
    ASSERT_GE(nx.size(), 4u);
    EXPECT_EQ(static_cast<uint8_t>(nx[3]) & 15, kDnsNxDomain);
  });

  // In use: refused; the live endpoints are listed.
  EXPECT_EQ(mgr_->Remove("n1").code(), Code::kFailedPrecondition);
  EXPECT_EQ(mgr_->EndpointsOn(net->id).size(), 2u);

  // Disconnecting web removes its names at once.
  ASSERT_TRUE(mgr_->Disconnect(web_id, "n1").ok());
  InNetns(cli_ns.get(), [&] {
    std::string resp = AskDns("www", kDnsTypeA);
    ASSERT_GE(resp.size(), 4u);
    EXPECT_EQ(static_cast<uint8_t>(resp[3]) & 15, kDnsNxDomain);
  });
  mgr_->Detach(web_id);
  mgr_->Detach(cli_id);
  EXPECT_TRUE(mgr_->EndpointsOn(net->id).empty());
  EXPECT_TRUE(mgr_->Remove("n1").ok());
  EXPECT_EQ(mgr_->Find("n1").status().code(), Code::kNotFound);
}

TEST_F(BridgeNetworkTest, NetworksPersistAcrossReopen) {
  NetworkRequest req;
  req.name = "kept";
  auto net = mgr_->Create(req);
  ASSERT_TRUE(net.ok()) << net.status().message();
  EXPECT_EQ(net->subnet.ToString(), "172.18.0.0/16");
  NetworkRequest overlap;
  overlap.name = "other";
  overlap.subnet = *ParseSubnet("172.18.3.0/24");
  EXPECT_EQ(mgr_->Create(overlap).status().code(), Code::kInvalidArgument);
  mgr_.reset();
  InNetns(engine_ns_.get(), [&] {
    auto m = BridgeNetworkManager::Open(root_);
    ASSERT_TRUE(m.ok()) << m.status().message();
    mgr_ = std::move(*m);
  });
  auto found = mgr_->Find(net->id.substr(0, 12));
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->name, "kept");
  EXPECT_EQ(found->subnet.ToString(), "172.18.0.0/16");
}

}  // namespace
}  // namespace berth::runtime
