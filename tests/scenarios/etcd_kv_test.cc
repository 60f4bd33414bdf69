// EtcdKv against a real etcd (Debian's etcd-server) on 127.0.0.1, and its
// outcome classification against a refusing and a silent endpoint.
#include "scenarios/etcd_kv.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include "base/file_util.h"
#include "fakes/loopback_port.h"
#include "scenarios/http_client.h"

namespace berth::scenarios {
namespace {

// A bound, listening socket on 127.0.0.1 that never answers; port().
class Silent {
 public:
  Silent() : fd_(berth::testing::BindLoopbackTcp(&port_)) {
    EXPECT_TRUE(fd_ && listen(fd_.get(), 16) == 0);
  }
  int port() const { return port_; }

 private:
  int port_ = 0;
  UniqueFd fd_;
};

int FreePort() {
  Silent s;
  return s.port();
}

// One etcd member in a temporary folder, killed by pid at the end.
class Etcd {
 public:
  Etcd() {
    char dir[] = "/tmp/berth-etcd-XXXXXX";
    dir_ = mkdtemp(dir);
    client_ = FreePort();
    int peer = FreePort();
    const std::string c = "http://127.0.0.1:" + std::to_string(client_);
    const std::string p = "http://127.0.0.1:" + std::to_string(peer);
    pid_ = fork();
    if (pid_ == 0) {
      freopen("/dev/null", "w", stderr);
      execl("/usr/bin/etcd", "etcd", "--name", "t", "--data-dir", (dir_ + "/data").c_str(),
            "--listen-client-urls", c.c_str(), "--advertise-client-urls", c.c_str(),
            "--listen-peer-urls", p.c_str(), "--initial-advertise-peer-urls", p.c_str(),
            "--initial-cluster", ("t=" + p).c_str(), nullptr);
      _exit(127);
    }
    for (int i = 0; i < 150 && CurlHttpGet(url() + "/health", Millis(200)).status != 200; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ~Etcd() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    (void)RemoveAll(dir_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(client_); }

 private:
  std::string dir_;
  int client_ = 0;
  pid_t pid_ = -1;
};

TEST(EtcdKvTest, Base64RoundTrips) {
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "berth/17", std::string("\0\xff\x10", 3)}) {
    auto back = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(*back, s);
  }
  EXPECT_EQ(Base64Encode("berth"), "YmVydGg=");
  EXPECT_FALSE(Base64Decode("abc").ok());
}

TEST(EtcdKvTest, PutAndGetOnARealEtcd) {
  ASSERT_TRUE(PathExists("/usr/bin/etcd")) << "apt-get install etcd-server";
  Etcd etcd;
  EtcdKv kv({etcd.url()}, Millis(3000));
  ASSERT_TRUE(kv.Put("berth/1", "v1").ok());
  ASSERT_TRUE(kv.Put("berth/1", "v2").ok());
  auto got = kv.Get("berth/1");
  ASSERT_TRUE(got.ok()) << got.status().message();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, "v2");
  got = kv.Get("berth/none");
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_FALSE(got->has_value());
}

TEST(EtcdKvTest, OutcomesOfFailedWrites) {
  // Nothing listens: the write certainly did not happen.
  EtcdKv refused({"http://127.0.0.1:" + std::to_string(FreePort())}, Millis(1000));
  Status st = refused.Put("k", "v");
  EXPECT_EQ(st.code(), Code::kFailedPrecondition) << st.message();
  // Connected but no answer: unknown outcome.
  Silent silent;
  EtcdKv slow({"http://127.0.0.1:" + std::to_string(silent.port())}, Millis(300));
  st = slow.Put("k", "v");
  EXPECT_EQ(st.code(), Code::kDeadlineExceeded) << st.message();
  EXPECT_FALSE(slow.Get("k").ok());
}

TEST(EtcdKvTest, AvoidsAFailedEndpoint) {
  ASSERT_TRUE(PathExists("/usr/bin/etcd"));
  Etcd etcd;
  Silent silent;
  EtcdKv kv({"http://127.0.0.1:" + std::to_string(silent.port()), etcd.url()}, Millis(300),
            Millis(60000));
  int failed = 0;
  for (int i = 0; i < 10; ++i) failed += !kv.Put("k" + std::to_string(i), "v").ok();
  EXPECT_EQ(failed, 1);  // only the first try of the silent endpoint
}

TEST(EtcdKvTest, WhenAllFailedTriesTheOldestFailureFirst) {
  Silent a, b;
  const std::string ua = "http://127.0.0.1:" + std::to_string(a.port());
  const std::string ub = "http://127.0.0.1:" + std::to_string(b.port());
  EtcdKv kv({ua, ub}, Millis(200), Millis(60000));
  EXPECT_NE(kv.Put("k", "v").message().find(ua), std::string::npos);
  EXPECT_NE(kv.Put("k", "v").message().find(ub), std::string::npos);
  // Both avoided now: a failed first, so a is tried again (not round robin).
  EXPECT_NE(kv.Put("k", "v").message().find(ua), std::string::npos);
  EXPECT_NE(kv.Put("k", "v").message().find(ub), std::string::npos);
}

}  // namespace
}  // namespace berth::scenarios
