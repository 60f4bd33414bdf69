#include "provisioners/lab_images.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "base/file_util.h"
#include "base/subprocess.h"
#include "machine/guest_image.h"

namespace berth::provisioners {
namespace {

struct ImageRecipe {
  const char* name;                 // with tag
  const char* script;               // in images/
  std::vector<const char*> inputs;  // host files the image is made from
};

const std::vector<ImageRecipe>& Recipes() {
  static const std::vector<ImageRecipe> recipes = {
      {"busybox:latest", "busybox-image", {"/bin/busybox"}},
      {"etcd:latest", "etcd-image", {"/bin/busybox", "/usr/bin/etcd"}},
  };
  return recipes;
}

std::string WithTag(const std::string& image) {
  size_t slash = image.rfind('/');
  size_t colon = image.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash))
    return image + ":latest";
  return image;
}

const ImageRecipe* Find(const std::string& image) {
  for (const auto& r : Recipes())
    if (WithTag(image) == r.name) return &r;
  return nullptr;
}

// The folder holding the image scripts: beside the guest image builder.
std::string ImagesDir() {
  return std::filesystem::path(machine::GuestImageBuilder()).parent_path().string();
}

}  // namespace

std::vector<std::string> KnownLabImages() {
  std::vector<std::string> out;
  for (const auto& r : Recipes()) out.push_back(r.name);
  return out;
}

bool IsKnownLabImage(const std::string& image) { return Find(image) != nullptr; }

Result<std::string> EnsureImageArchive(const std::string& image, const std::string& cache_dir) {
  const ImageRecipe* r = Find(image);
  if (!r) return NotFound("no recipe for image '" + image + "'");
  const std::string script = ImagesDir() + "/" + r->script;
  BERTH_ASSIGN_OR_RETURN(std::string text, ReadFile(script));
  // The key: the script's text and each input's path, size and mtime.
  std::string key = text;
  for (const char* in : r->inputs) {
    struct stat st {};
    if (stat(in, &st) != 0)
      return FailedPrecondition(std::string("image '") + r->name + "' is built from " + in +
                                ", which is missing (install it with apt-get)");
    key += std::string("\n") + in + " " + std::to_string(st.st_size) + " " +
           std::to_string(st.st_mtime);
  }
  RunOptions hash;
  hash.stdin_data = key;
  BERTH_ASSIGN_OR_RETURN(std::string sum, RunChecked({"sha256sum"}, hash));
  std::string base = r->name;
  std::replace(base.begin(), base.end(), ':', '-');
  const std::string dir = cache_dir + "/images";
  const std::string path = dir + "/" + base + "-" + sum.substr(0, 16) + ".tar";
  if (PathExists(path)) return path;
  BERTH_RETURN_IF_ERROR(MakeDirs(dir));
  const std::string tmp = path + ".tmp." + std::to_string(getpid()) + "." +
                          std::to_string(reinterpret_cast<uintptr_t>(&key));
  RunOptions o;
  o.timeout = std::chrono::minutes(5);
  auto built = RunChecked({script, tmp, r->name}, o);
  if (!built.ok()) {
    std::remove(tmp.c_str());
    return built.status().WithContext(std::string("build image '") + r->name + "'");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    std::remove(tmp.c_str());
    return ErrnoStatus("rename " + tmp + " to " + path, err);
  }
  return path;
}

}  // namespace berth::provisioners
