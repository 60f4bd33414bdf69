// The content-addressed image store: load, resolve, tag, remove, save.
#include "runtime/image_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "base/file_util.h"
#include "runtime/digest.h"
#include "runtime/tar.h"

namespace berth::runtime {
namespace {

std::string Tar(const std::function<void(TarWriter&)>& fill) {
  std::string out;
  TarWriter w([&](const char* p, size_t n) {
    out.append(p, n);
    return Status::Ok();
  });
  fill(w);
  EXPECT_TRUE(w.Finish().ok());
  return out;
}

class ImageStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-img-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto s = ImageStore::Open(dir_ + "/root");
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
  }
  void TearDown() override { (void)RemoveAll(dir_); }

  // A docker-save archive with one layer holding `file`.
  std::string SaveArchive(const std::string& tag, const std::string& content) {
    std::string layer =
        Tar([&](TarWriter& w) { ASSERT_TRUE(w.AddFile("hello.txt", content).ok()); });
    std::string diff_id = Sha256Digest(layer);
    std::string config =
        R"({"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":[")" +
        diff_id + R"("]}})";
    std::string manifest =
        R"([{"Config":"c.json","RepoTags":[")" + tag + R"("],"Layers":["l/layer.tar"]}])";
    std::string path = dir_ + "/archive-" + tag.substr(0, tag.find(':')) + ".tar";
    EXPECT_TRUE(WriteFileAtomic(path, Tar([&](TarWriter& w) {
                                  ASSERT_TRUE(w.AddFile("c.json", config).ok());
                                  ASSERT_TRUE(w.AddFile("l/layer.tar", layer).ok());
                                  ASSERT_TRUE(w.AddFile("manifest.json", manifest).ok());
                                }))
                    .ok());
    return path;
  }

  std::string dir_;
  std::unique_ptr<ImageStore> store_;
};

TEST(NormalizeRef, DockerHubForms) {
  EXPECT_EQ(*NormalizeRef("busybox"), "busybox:latest");
  EXPECT_EQ(*NormalizeRef("docker.io/library/busybox:1.36"), "busybox:1.36");
  EXPECT_EQ(*NormalizeRef("127.0.0.1:5000/x/y"), "127.0.0.1:5000/x/y:latest");
  EXPECT_FALSE(NormalizeRef("Busy Box").ok());
}

TEST_F(ImageStoreTest, LoadResolveTagRemove) {
  auto lines = store_->LoadArchive(SaveArchive("demo:1", "hi"));
  ASSERT_TRUE(lines.ok()) << lines.status().message();
  ASSERT_EQ(lines->size(), 1u);
  EXPECT_EQ((*lines)[0], "Loaded image: demo:1");
  auto rec = store_->Resolve("demo:1");
  ASSERT_TRUE(rec.ok());
  EXPECT_TRUE(IsDigest(rec->id));
  ASSERT_EQ(store_->LayerDirs(*rec).size(), 1u);
  EXPECT_EQ(*ReadFile(store_->LayerDirs(*rec)[0] + "/hello.txt"), "hi");
  EXPECT_TRUE(store_->Resolve(rec->id.substr(7, 12)).ok());  // id prefix
  ASSERT_TRUE(store_->Tag("demo:1", "other").ok());
  EXPECT_EQ(store_->Resolve("other:latest")->id, rec->id);
  auto never = [](const std::string&) { return false; };
  auto untag = store_->Remove("other", false, never);
  ASSERT_TRUE(untag.ok());
  EXPECT_TRUE(store_->Resolve("demo:1").ok());  // only the tag went
  ASSERT_TRUE(store_->Remove("demo:1", false, never).ok());
  EXPECT_EQ(store_->Resolve("demo:1").status().code(), Code::kNotFound);
  EXPECT_TRUE(store_->List().empty());
}

TEST_F(ImageStoreTest, InUseImageIsKept) {
  ASSERT_TRUE(store_->LoadArchive(SaveArchive("demo:1", "hi")).ok());
  auto used = [](const std::string&) { return true; };
  EXPECT_EQ(store_->Remove("demo:1", false, used).status().code(), Code::kFailedPrecondition);
}

TEST_F(ImageStoreTest, ReopenKeepsTags) {
  ASSERT_TRUE(store_->LoadArchive(SaveArchive("demo:1", "hi")).ok());
  auto again = ImageStore::Open(dir_ + "/root");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE((*again)->Resolve("demo:1").ok());
}

TEST_F(ImageStoreTest, SaveRoundTrips) {
  ASSERT_TRUE(store_->LoadArchive(SaveArchive("demo:1", "round")).ok());
  std::string saved;
  ASSERT_TRUE(store_
                  ->Save({"demo:1"},
                         [&](const char* p, size_t n) {
                           saved.append(p, n);
                           return Status::Ok();
                         })
                  .ok());
  auto other = ImageStore::Open(dir_ + "/root2");
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/saved.tar", saved).ok());
  auto lines = (*other)->LoadArchive(dir_ + "/saved.tar");
  ASSERT_TRUE(lines.ok()) << lines.status().message();
  EXPECT_EQ((*other)->Resolve("demo:1")->id, store_->Resolve("demo:1")->id);
}

TEST_F(ImageStoreTest, LayerDigestMismatchIsRefused) {
  std::string layer = Tar([&](TarWriter& w) { ASSERT_TRUE(w.AddFile("a", "b").ok()); });
  std::string config =
      R"({"rootfs":{"type":"layers","diff_ids":["sha256:)" + std::string(64, '0') + R"("]}})";
  std::string path = dir_ + "/bad.tar";
  ASSERT_TRUE(
      WriteFileAtomic(path, Tar([&](TarWriter& w) {
                        ASSERT_TRUE(w.AddFile("c.json", config).ok());
                        ASSERT_TRUE(w.AddFile("l.tar", layer).ok());
                        ASSERT_TRUE(
                            w.AddFile(
                                 "manifest.json",
                                 R"([{"Config":"c.json","RepoTags":["bad:1"],"Layers":["l.tar"]}])")
                                .ok());
                      }))
          .ok());
  auto r = store_->LoadArchive(path);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("diff_id"), std::string::npos);
}

}  // namespace
}  // namespace berth::runtime
