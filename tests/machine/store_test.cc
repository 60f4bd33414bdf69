#include "machine/store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <filesystem>

#include "base/file_util.h"
#include "machine/temp_dir.h"

namespace berth::machine {
namespace {

MachineConfig Named(const std::string& n) {
  MachineConfig c;
  c.name = n;
  c.domain = "berth-" + n;
  return c;
}

TEST(StoreTest, ReserveSaveLoadList) {
  berth::testing::TempDir dir;
  Store store(dir.path() + "/home");
  ASSERT_TRUE(store.Reserve("b").ok());
  ASSERT_TRUE(store.Reserve("a").ok());
  EXPECT_EQ(store.Reserve("a").code(), Code::kAlreadyExists);
  ASSERT_TRUE(store.Save(Named("a")).ok());
  EXPECT_EQ(store.Load("a")->domain, "berth-a");
  // "b" has no config (interrupted create) but is still listed.
  EXPECT_EQ(store.List().value(), (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(store.Load("b").ok());
  EXPECT_EQ(store.Load("zz").status().code(), Code::kNotFound);
  struct stat st;
  ASSERT_EQ(stat(store.PathOf("a", "config.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_TRUE(store.Remove("a").ok());
  EXPECT_FALSE(store.Exists("a"));
}

TEST(StoreTest, EmptyHomeListsNothing) {
  berth::testing::TempDir dir;
  Store store(dir.path() + "/nothing-here");
  EXPECT_TRUE(store.List().value().empty());
}

TEST(StoreTest, NewerConfigIsRefusedAndLeftAlone) {
  berth::testing::TempDir dir;
  Store store(dir.path());
  ASSERT_TRUE(store.Reserve("a").ok());
  Json j = ToJson(Named("a"));
  j["version"] = 99;
  std::string path = store.PathOf("a", "config.json");
  ASSERT_TRUE(WriteFileAtomic(path, j.dump()).ok());
  auto r = store.Load("a");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("newer berth"), std::string::npos);
  EXPECT_EQ(ReadFile(path).value(), j.dump());
}

TEST(StoreTest, LockIsExclusiveAcrossHandles) {
  berth::testing::TempDir dir;
  Store store(dir.path());
  auto lock = store.Lock();
  ASSERT_TRUE(lock.ok());
  // A second flock on a new open file description must block: check with
  // LOCK_NB directly.
  int fd = open((dir.path() + "/.lock").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  EXPECT_NE(flock(fd, LOCK_EX | LOCK_NB), 0);
  close(fd);
}

}  // namespace
}  // namespace berth::machine
