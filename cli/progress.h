// Progress of waits for several machines at once. On a terminal, one live line
// per machine with the elapsed time, redrawn in place; otherwise one plain line
// per change (for logs and CI).
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace berth::cli {

class Progress {
 public:
  // `tty`: whether stderr is a terminal (decided by the caller).
  explicit Progress(bool tty);
  ~Progress();  // stops the redraw thread; call Finish first to print outcomes

  // Thread-safe.
  void Update(const std::string& machine, const std::string& what);
  // Marks the machine's line done; silent for a machine that had no Update.
  void Finish(const std::string& machine, bool ok, const std::string& what);

 private:
  struct Line {
    std::string what;
    std::chrono::steady_clock::time_point since;
    bool done = false;
  };
  void Redraw();  // requires mu_

  const bool tty_;
  const std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> order_;
  std::map<std::string, Line> lines_;
  int drawn_ = 0;
  bool stop_ = false;
  std::thread ticker_;
};

}  // namespace berth::cli
