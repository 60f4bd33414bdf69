#include "scenarios/http_client.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "base/file_util.h"
#include "base/subprocess.h"
#include "fakes/loopback_port.h"

namespace berth::scenarios {
namespace {

// A free TCP port on 127.0.0.1 (bound then released).
int FreePort() {
  int port = 0;
  berth::testing::BindLoopbackTcp(&port);  // closed again at once
  return port;
}

// busybox httpd on 127.0.0.1, killed by pid at the end.
class Httpd {
 public:
  Httpd() {
    char dir[] = "/tmp/berth-httpd-XXXXXX";
    dir_ = mkdtemp(dir);
    EXPECT_TRUE(WriteFileAtomic(dir_ + "/index.html", "hello\n").ok());
    port_ = FreePort();
    pid_ = fork();
    if (pid_ == 0) {
      execl("/bin/busybox", "busybox", "httpd", "-f", "-p",
            ("127.0.0.1:" + std::to_string(port_)).c_str(), "-h", dir_.c_str(), nullptr);
      _exit(127);
    }
    for (int i = 0; i < 100 && CurlHttpGet(Url("/"), Millis(200)).status == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ~Httpd() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    (void)RemoveAll(dir_);
  }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

TEST(HttpClientTest, GetsFromARealServer) {
  ASSERT_FALSE(FindProgram("busybox").empty());
  Httpd httpd;
  HttpResult r = CurlHttpGet(httpd.Url("/"), Millis(2000));
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_TRUE(r.ok());
  EXPECT_GT(r.latency_ms, 0);
  EXPECT_LT(r.latency_ms, 2000);
  r = CurlHttpGet(httpd.Url("/missing"), Millis(2000));
  EXPECT_EQ(r.status, 404);
  EXPECT_FALSE(r.ok());
}

TEST(HttpClientTest, RefusedAndTimeout) {
  HttpResult r = CurlHttpGet("http://127.0.0.1:" + std::to_string(FreePort()) + "/", Millis(1000));
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.error.empty());
  // A listening socket that never answers: the request times out on time.
  int port = 0;
  UniqueFd fd = berth::testing::BindLoopbackTcp(&port);
  ASSERT_TRUE(fd && listen(fd.get(), 4) == 0);
  r = CurlHttpGet("http://127.0.0.1:" + std::to_string(port) + "/", Millis(300));
  fd.Reset();
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("imeout"), std::string::npos) << r.error;
  EXPECT_GE(r.latency_ms, 250);
  EXPECT_LT(r.latency_ms, 1500);
}

}  // namespace
}  // namespace berth::scenarios
