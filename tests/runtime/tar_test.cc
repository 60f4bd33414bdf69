// Tar reading and the safety of layer extraction.
#include "runtime/tar.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file_util.h"

namespace berth::runtime {
namespace {

// Builds an archive in memory; entries are (name, type, data/linkname).
struct Member {
  std::string name;
  char type;
  std::string data;
};

std::string MakeTar(const std::vector<Member>& members) {
  std::string out;
  TarWriter w([&](const char* p, size_t n) {
    out.append(p, n);
    return Status::Ok();
  });
  for (const auto& m : members) {
    if (m.type == '0') {
      EXPECT_TRUE(w.AddFile(m.name, m.data).ok());
    } else if (m.type == '5') {
      EXPECT_TRUE(w.AddDir(m.name).ok());
    } else {
      // Links: write a header by hand through a file entry then patch the type.
      std::string one;
      TarWriter lw([&](const char* p, size_t n) {
        one.append(p, n);
        return Status::Ok();
      });
      EXPECT_TRUE(lw.AddFile(m.name, "").ok());
      one[156] = m.type;
      memset(&one[157], 0, 100);
      memcpy(&one[157], m.data.data(), m.data.size());
      memset(&one[148], ' ', 8);
      unsigned sum = 0;
      for (int i = 0; i < 512; ++i) sum += static_cast<unsigned char>(one[i]);
      snprintf(&one[148], 8, "%06o", sum);
      out += one.substr(0, 512);
    }
  }
  EXPECT_TRUE(w.Finish().ok());
  return out;
}

class TarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-tar-XXXXXX";
    dir_ = mkdtemp(tmpl);
    dest_ = dir_ + "/dest";
    ASSERT_TRUE(MakeDirs(dest_).ok());
  }
  void TearDown() override { (void)RemoveAll(dir_); }
  Status Extract(const std::vector<Member>& m) {
    StringSource src(MakeTar(m));
    return ExtractLayer(&src, dest_).status();
  }
  std::string dir_, dest_;
};

TEST(CleanTarPath, NormalisesAndRefusesTraversal) {
  EXPECT_EQ(*CleanTarPath("./a/b/"), "a/b");
  EXPECT_EQ(*CleanTarPath("/etc//passwd"), "etc/passwd");
  EXPECT_FALSE(CleanTarPath("../x").ok());
  EXPECT_FALSE(CleanTarPath("a/../../x").ok());
  EXPECT_FALSE(CleanTarPath("a/..").ok());
}

TEST_F(TarTest, ExtractsFilesDirsAndSymlinks) {
  ASSERT_TRUE(Extract({{"bin/", '5', ""},
                       {"bin/busybox", '0', "ELF"},
                       {"bin/sh", '2', "busybox"},
                       {"deep/er/file", '0', "x"}})
                  .ok());
  EXPECT_EQ(*ReadFile(dest_ + "/bin/busybox"), "ELF");
  char buf[64] = {};
  ASSERT_GT(readlink((dest_ + "/bin/sh").c_str(), buf, sizeof(buf)), 0);
  EXPECT_STREQ(buf, "busybox");
  EXPECT_EQ(*ReadFile(dest_ + "/deep/er/file"), "x");
}

TEST_F(TarTest, RefusesDotDotTraversal) {
  Status st = Extract({{"../escape", '0', "pwned"}});
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find(".."), std::string::npos);
  EXPECT_FALSE(PathExists(dir_ + "/escape"));
}

TEST_F(TarTest, RefusesWritingThroughASymlink) {
  // A symlink to the outside, then a file "through" it: the classic escape.
  Status st = Extract({{"link", '2', dir_}, {"link/escape", '0', "pwned"}});
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("symlink"), std::string::npos);
  EXPECT_FALSE(PathExists(dir_ + "/escape"));
}

TEST_F(TarTest, RefusesRelativeSymlinkEscape) {
  Status st = Extract({{"up", '2', "../.."}, {"up/tmp/escape2", '0', "pwned"}});
  EXPECT_FALSE(st.ok());
}

TEST_F(TarTest, RefusesHardLinkOutside) {
  Status st = Extract({{"h", '1', "../../etc/passwd"}});
  EXPECT_FALSE(st.ok());
}

TEST_F(TarTest, ConvertsWhiteouts) {
  ASSERT_TRUE(Extract({{"etc/.wh.gone", '0', ""}}).ok());
  struct stat st;
  ASSERT_EQ(lstat((dest_ + "/etc/gone").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, 0u);
}

TEST_F(TarTest, ReaderHandlesLongNames) {
  std::string long_name = std::string(150, 'a') + "/file";
  StringSource src(MakeTar({{long_name, '0', "data"}}));
  TarReader r(&src);
  TarEntry e;
  ASSERT_TRUE(*r.Next(&e));
  EXPECT_EQ(e.name, long_name);
  EXPECT_EQ(*r.ReadDataToString(), "data");
  EXPECT_FALSE(*r.Next(&e));
}

TEST_F(TarTest, TruncatedArchiveIsAnError) {
  std::string t = MakeTar({{"f", '0', std::string(2000, 'x')}});
  StringSource src(t.substr(0, 1000));
  EXPECT_FALSE(ExtractLayer(&src, dest_).ok());
}

}  // namespace
}  // namespace berth::runtime
