#include "provisioners/engine_bundle.h"

#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <set>
#include <sstream>

#include "base/file_util.h"
#include "base/subprocess.h"

namespace berth::provisioners {
namespace {

Result<std::string> Sha256Of(const std::vector<std::string>& files) {
  std::vector<std::string> argv = {"sha256sum"};
  argv.insert(argv.end(), files.begin(), files.end());
  BERTH_ASSIGN_OR_RETURN(std::string out, RunChecked(argv));
  RunOptions hash;
  hash.stdin_data = out;
  BERTH_ASSIGN_OR_RETURN(std::string sum, RunChecked({"sha256sum"}, hash));
  return sum.substr(0, 16);
}

// Absolute paths of the shared libraries `binary` loads (ldd), loader included.
Result<std::set<std::string>> LibraryClosure(const std::string& binary) {
  BERTH_ASSIGN_OR_RETURN(std::string out, RunChecked({"ldd", binary}));
  std::set<std::string> libs;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string w;
    while (words >> w)
      if (!w.empty() && w[0] == '/') libs.insert(w);
  }
  return libs;
}

}  // namespace

std::string FindBerthd() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto cand = exe.parent_path() / ".." / "runtime" / "berthd";
    if (access(cand.c_str(), X_OK) == 0) return std::filesystem::canonical(cand, ec).string();
    cand = exe.parent_path() / "berthd";
    if (access(cand.c_str(), X_OK) == 0) return cand.string();
  }
  if (const char* env = getenv("BERTH_BERTHD"); env && access(env, X_OK) == 0) return env;
  return FindProgram("berthd");
}

Result<EngineBundle> EnsureEngineBundle(const std::string& cache_dir) {
  std::string berthd = FindBerthd();
  if (berthd.empty())
    return FailedPrecondition(
        "berthd (the engine) was not found next to berth or in PATH: "
        "build it (`cmake --build build --target berthd`) or set BERTH_BERTHD");
  std::string crun = FindProgram("crun");
  if (crun.empty()) return FailedPrecondition("crun is not installed: apt-get install crun");
  BERTH_ASSIGN_OR_RETURN(std::string version, Sha256Of({berthd, crun}));
  EngineBundle b{version, cache_dir + "/engine-" + version + ".tar.gz"};
  if (PathExists(b.tarball)) return b;
  // Parallel creates in one process would share the pid-named staging folder:
  // one thread builds, the others find its result.
  static std::mutex build_mu;
  std::lock_guard<std::mutex> lock(build_mu);
  if (PathExists(b.tarball)) return b;

  BERTH_RETURN_IF_ERROR(MakeDirs(cache_dir));
  std::string staging = cache_dir + "/.engine-" + version + "." + std::to_string(getpid());
  RemoveAll(staging).ok();
  auto cleanup = [&](Status s) {
    RemoveAll(staging).ok();
    return s.WithContext("build the engine bundle");
  };
  if (Status s = MakeDirs(staging + "/bin"); !s.ok()) return cleanup(s);
  if (Status s = MakeDirs(staging + "/lib"); !s.ok()) return cleanup(s);
  if (auto r = RunChecked({"strip", "-o", staging + "/bin/berthd", berthd}); !r.ok())
    return cleanup(r.status());
  if (auto r = RunChecked({"cp", "-L", crun, staging + "/bin/crun"}); !r.ok())
    return cleanup(r.status());
  std::set<std::string> libs;
  for (const auto& bin : {berthd, crun}) {
    auto closure = LibraryClosure(bin);
    if (!closure.ok()) return cleanup(closure.status());
    libs.insert(closure->begin(), closure->end());
  }
  for (const auto& lib : libs)
    if (auto r = RunChecked({"cp", "-L", lib, staging + "/lib/"}); !r.ok())
      return cleanup(r.status());
  std::string tmp = b.tarball + ".tmp" + std::to_string(getpid());
  if (auto r = RunChecked({"tar", "czf", tmp, "-C", staging, "."}); !r.ok())
    return cleanup(r.status());
  if (rename(tmp.c_str(), b.tarball.c_str()) != 0)
    return cleanup(ErrnoStatus("rename " + tmp, errno));
  RemoveAll(staging).ok();
  return b;
}

}  // namespace berth::provisioners
