#include "runtime/host_ops.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "machine/temp_dir.h"

namespace berth::runtime {
namespace {

// Runs `body` in a child with its own mount namespace (as berthd runs) and
// returns the child's exit code: 0 when every check in it held.
template <typename F>
int InPrivateMountNamespace(F body) {
  pid_t pid = fork();
  if (pid == 0) {
    if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr))
      _exit(100);
    _exit(body());
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
}

TEST(PinReadOnlyRuntimeTest, RuntimeRunsFromAReadOnlyMountAndSkipsItsSelfCopy) {
  berth::testing::TempDir dir;
  int code = InPrivateMountNamespace([&] {
    unsetenv("_LIBCONTAINER_CLONED_BINARY");
    auto pinned = PinReadOnlyRuntime("true", dir.path() + "/bin");  // looked up in PATH
    if (!pinned.ok() || *pinned != dir.path() + "/bin/crun") return 1;
    struct statvfs vfs {};
    if (statvfs(pinned->c_str(), &vfs) != 0 || !(vfs.f_flag & ST_RDONLY)) return 2;
    // What CVE-2019-5736 needs, writing the binary, is refused.
    int fd = open(pinned->c_str(), O_WRONLY);
    if (fd >= 0 || errno != EROFS) return 3;
    const char* env = getenv("_LIBCONTAINER_CLONED_BINARY");
    if (!env || std::string(env) != "1") return 4;
    if (std::system(pinned->c_str()) != 0) return 5;
    // A second pin (berthd restarted in the same namespace) replaces the first.
    auto again = PinReadOnlyRuntime("/bin/true", dir.path() + "/bin");
    if (!again.ok()) return 6;
    return 0;
  });
  EXPECT_EQ(code, 0);
  // The mount lived only in the child's namespace: here the file is plain.
  int fd = open((dir.path() + "/bin/crun").c_str(), O_WRONLY);
  EXPECT_GE(fd, 0) << strerror(errno);
  if (fd >= 0) close(fd);
}

TEST(PinReadOnlyRuntimeTest, UnknownRuntimeIsAClearError) {
  berth::testing::TempDir dir;
  auto pinned = PinReadOnlyRuntime("no-such-oci-runtime", dir.path());
  ASSERT_FALSE(pinned.ok());
  EXPECT_NE(pinned.status().message().find("'no-such-oci-runtime' is not in PATH"),
            std::string::npos);
}

}  // namespace
}  // namespace berth::runtime
