#include "base/subprocess.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(SubprocessTest, CapturesOutputAndExitCode) {
  auto r = berth::Run({"sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
}

TEST(SubprocessTest, FeedsStdin) {
  RunOptions o;
  o.stdin_data = std::string(200000, 'x');  // more than a pipe buffer
  auto r = berth::Run({"wc", "-c"}, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::stoi(r->out), 200000);
}

TEST(SubprocessTest, TimeoutKills) {
  RunOptions o;
  o.timeout = std::chrono::milliseconds(200);
  auto r = berth::Run({"sleep", "10"}, o);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->signal, SIGKILL);
}

TEST(SubprocessTest, MissingProgramIsNotFound) {
  auto r = berth::Run({"no-such-program-berth"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
}

TEST(SubprocessTest, CheckedNamesCommandAndStderr) {
  auto r = RunChecked({"sh", "-c", "echo boom >&2; exit 1"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("boom"), std::string::npos);
  EXPECT_NE(r.status().message().find("exit 1"), std::string::npos);
}

TEST(SubprocessTest, ShellQuote) {
  EXPECT_EQ(ShellQuote("abc"), "abc");
  EXPECT_EQ(ShellQuote("a b"), "'a b'");
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(ShellQuote(""), "''");
}

}  // namespace
}  // namespace berth
