#include "machine/guest_image.h"

#include <unistd.h>

#include <filesystem>

#include "base/file_util.h"
#include "base/json_util.h"
#include "base/subprocess.h"

namespace berth::machine {

std::string GuestImageBuilder() {
  if (const char* dir = getenv("BERTH_IMAGES_DIR")) return std::string(dir) + "/build-guest-image";
  std::string src = std::string(BERTH_SOURCE_DIR) + "/images/build-guest-image";
  if (PathExists(src)) return src;
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return exe.parent_path().string() + "/../share/berth/images/build-guest-image";
}

Result<GuestImage> EnsureGuestImage(const std::string& home) {
  std::string builder = GuestImageBuilder();
  if (!PathExists(builder))
    return FailedPrecondition("the guest image builder is missing at " + builder +
                              " (set BERTH_IMAGES_DIR to the folder holding build-guest-image)");
  RunOptions o;
  o.env["BERTH_HOME"] = home;
  o.timeout = std::chrono::minutes(15);
  auto out = RunChecked({builder}, o);
  if (!out.ok()) return out.status().WithContext("build the guest image");
  std::string path = *out;
  while (!path.empty() && (path.back() == '\n' || path.back() == ' ')) path.pop_back();
  if (path.find('\n') != std::string::npos) path = path.substr(path.rfind('\n') + 1);
  BERTH_ASSIGN_OR_RETURN(Json m, ReadJsonFile(path));
  GuestImage img;
  try {
    img.kernel = m.at("kernel").get<std::string>();
    img.initrd = m.at("initrd").get<std::string>();
    img.cmdline = m.at("cmdline").get<std::string>();
    img.hash = m.value("hash", "");
  } catch (const Json::exception& e) {
    return InvalidArgument("guest image manifest " + path + ": " + e.what());
  }
  return img;
}

}  // namespace berth::machine
