#include "base/file_util.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "base/json_util.h"

namespace berth {
namespace {

class FileUtilTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-file-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(FileUtilTest, AtomicWriteReplacesAndSetsMode) {
  std::string p = dir_ + "/f";
  ASSERT_TRUE(WriteFileAtomic(p, "one", 0600).ok());
  ASSERT_TRUE(WriteFileAtomic(p, "two", 0600).ok());
  EXPECT_EQ(ReadFile(p).value(), "two");
  struct stat st;
  ASSERT_EQ(stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // No temp files are left behind.
  int n = 0;
  for (auto& e : std::filesystem::directory_iterator(dir_)) n += e.is_regular_file();
  EXPECT_EQ(n, 1);
}

TEST_F(FileUtilTest, WriteIntoMissingFolderFailsWithPath) {
  Status s = WriteFileAtomic(dir_ + "/nope/f", "x");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("/nope/"), std::string::npos);
}

TEST_F(FileUtilTest, NewerStateVersionIsRefused) {
  auto r = CheckStateVersion(Json{{"version", 9}}, 1, "config.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("newer berth"), std::string::npos);
  EXPECT_EQ(CheckStateVersion(Json::object(), 1, "c").value(), 1);
}

TEST_F(FileUtilTest, JsonParseErrorNamesFile) {
  auto r = ParseJson("{bad", "x.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("x.json"), std::string::npos);
}

}  // namespace
}  // namespace berth
