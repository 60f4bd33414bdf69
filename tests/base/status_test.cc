#include "base/status.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace berth {
namespace {

Result<int> Half(int x) {
  if (x % 2) return InvalidArgument("odd: " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  BERTH_ASSIGN_OR_RETURN(int h, Half(x));
  return Half(h);
}

TEST(StatusTest, ContextIsPrefixed) {
  Status s = NotFound("domain not found").WithContext("start machine 'node2'");
  EXPECT_EQ(s.message(), "start machine 'node2': domain not found");
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_TRUE(Status::Ok().WithContext("x").ok());
}

TEST(StatusTest, SameContextIsSaidOnce) {
  Status s = NotFound("gone").WithContext("start machine 'a'").WithContext("start machine 'a'");
  EXPECT_EQ(s.message(), "start machine 'a': gone");
  // A different context, or the same words not as a prefix, still wraps.
  EXPECT_EQ(s.WithContext("run").message(), "run: start machine 'a': gone");
  EXPECT_EQ(NotFound("start machine 'a' failed").WithContext("start machine 'a'").message(),
            "start machine 'a': start machine 'a' failed");
}

TEST(StatusTest, ErrnoMapsCodes) {
  EXPECT_EQ(ErrnoStatus("open f", ENOENT).code(), Code::kNotFound);
  EXPECT_EQ(ErrnoStatus("open f", EACCES).code(), Code::kPermissionDenied);
  EXPECT_NE(ErrnoStatus("open f", ENOENT).message().find("open f: "), std::string::npos);
}

TEST(ResultTest, PropagatesErrors) {
  EXPECT_EQ(Quarter(8).value(), 2);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "odd: 3");
}

}  // namespace
}  // namespace berth
