#include "cli/progress.h"

#include <cstdio>

namespace berth::cli {

Progress::Progress(bool tty) : tty_(tty), start_(std::chrono::steady_clock::now()) {
  if (tty_) {
    ticker_ = std::thread([this] {
      std::unique_lock lock(mu_);
      while (!stop_) {
        Redraw();
        cv_.wait_for(lock, std::chrono::milliseconds(250));
      }
    });
  }
}

Progress::~Progress() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    if (tty_) Redraw();
  }
  cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

void Progress::Update(const std::string& machine, const std::string& what) {
  std::lock_guard lock(mu_);
  if (!lines_.count(machine)) order_.push_back(machine);
  auto& l = lines_[machine];
  if (l.what == what) return;
  l.what = what;
  l.since = std::chrono::steady_clock::now();
  if (!tty_) {
    double t = std::chrono::duration<double>(l.since - start_).count();
    std::fprintf(stderr, "[%6.1fs] %s: %s\n", t, machine.c_str(), what.c_str());
  }
}

void Progress::Finish(const std::string& machine, bool ok, const std::string& what) {
  {
    std::lock_guard lock(mu_);
    if (!lines_.count(machine)) return;  // nothing was shown for it: stay quiet
  }
  Update(machine, (ok ? "\u2714 " : "\u2718 ") + what);
  std::lock_guard lock(mu_);
  lines_[machine].done = true;
}

void Progress::Redraw() {
  if (drawn_ > 0) std::fprintf(stderr, "\033[%dA", drawn_);
  auto now = std::chrono::steady_clock::now();
  for (const auto& name : order_) {
    const Line& l = lines_[name];
    double t = std::chrono::duration<double>(now - start_).count();
    std::fprintf(stderr, "\r\033[K%-16s %s%s\n", name.c_str(), l.what.c_str(),
                 l.done ? "" : (" (" + std::to_string(static_cast<int>(t)) + "s)").c_str());
  }
  drawn_ = static_cast<int>(order_.size());
  std::fflush(stderr);
}

}  // namespace berth::cli
