#include "runtime/io_pump.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

#include "base/json_util.h"
#include "runtime/container.h"

namespace berth::runtime {

std::string Frame(int stream, const char* data, size_t n) {
  std::string f(8, '\0');
  f[0] = static_cast<char>(stream);
  f[4] = static_cast<char>((n >> 24) & 0xff);
  f[5] = static_cast<char>((n >> 16) & 0xff);
  f[6] = static_cast<char>((n >> 8) & 0xff);
  f[7] = static_cast<char>(n & 0xff);
  f.append(data, n);
  return f;
}

static bool WriteAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t w = write(fd, s.data() + off, s.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    off += w;
  }
  return true;
}

bool PipeSink::Write(int stream, const char* p, size_t n, const std::string& time) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!fd_) return false;
  if ((stream == 1 && !stdout_) || (stream == 2 && !stderr_)) return true;
  std::string data(p, n);
  if (timestamps_) data = time + " " + data;
  bool ok = WriteAll(fd_.get(), raw_ ? data : Frame(stream, data.data(), data.size()));
  if (!ok) fd_.Reset();
  return ok;
}

IoPump::IoPump(UniqueFd out, UniqueFd err, std::string log_path)
    : out_(std::move(out)), err_(std::move(err)) {
  if (!log_path.empty())
    log_.Reset(open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
}

IoPump::~IoPump() { Join(); }

void IoPump::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void IoPump::Locked(const std::function<void()>& fn) {
  std::lock_guard<std::mutex> lock(mu_);
  fn();
}

void IoPump::AddSink(std::shared_ptr<OutputSink> sink) {
  std::lock_guard<std::mutex> lock(mu_);
  if (done_) {
    sink->Close();
    return;
  }
  sinks_.push_back(std::move(sink));
}

void IoPump::Emit(int stream, const char* p, size_t n) {
  std::string time = NowRfc3339();
  std::lock_guard<std::mutex> lock(mu_);
  if (log_) {
    std::string rec;
    size_t start = 0;
    while (start < n) {
      size_t nl = start;
      while (nl < n && p[nl] != '\n') ++nl;
      size_t end = nl < n ? nl + 1 : n;
      Json j = {{"log", std::string(p + start, end - start)},
                {"stream", stream == 2 ? "stderr" : "stdout"},
                {"time", time}};
      rec += j.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
      start = end;
    }
    WriteAll(log_.get(), rec);
  }
  for (size_t i = 0; i < sinks_.size();) {
    if (sinks_[i]->Write(stream, p, n, time)) {
      ++i;
    } else {
      sinks_.erase(sinks_.begin() + i);
    }
  }
}

void IoPump::Loop() {
  char buf[32768];
  for (;;) {
    pollfd fds[2];
    int nfds = 0;
    int streams[2];
    if (out_) fds[nfds] = {out_.get(), POLLIN, 0}, streams[nfds++] = 1;
    if (err_) fds[nfds] = {err_.get(), POLLIN, 0}, streams[nfds++] = 2;
    if (nfds == 0) break;
    if (poll(fds, nfds, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < nfds; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t r = read(fds[i].fd, buf, sizeof(buf));
      if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (r <= 0) {  // EOF, or EIO from a pty whose other side closed
        (streams[i] == 1 ? out_ : err_).Reset();
        continue;
      }
      Emit(streams[i], buf, static_cast<size_t>(r));
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  done_ = true;
  for (auto& s : sinks_) s->Close();
  sinks_.clear();
}

void IoPump::Join() {
  if (thread_.joinable()) thread_.join();
}

std::vector<LogLine> ReadLog(const std::string& path) {
  std::vector<LogLine> out;
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {
    auto j = ParseJson(line, path);
    if (!j.ok()) continue;
    out.push_back({j->value("stream", "stdout") == "stderr" ? 2 : 1, j->value("time", ""),
                   j->value("log", "")});
  }
  return out;
}

void Bridge(Conn& conn, int from_engine, const std::function<void(const char*, size_t)>& on_input,
            const std::function<void()>& on_input_eof) {
  char buf[32768];
  bool reading_client = true;
  for (;;) {
    if (reading_client && conn.Buffered()) {
      auto r = conn.Read(buf, sizeof(buf));
      if (!r.ok() || *r == 0) {
        reading_client = false;
        if (on_input_eof) on_input_eof();
      } else if (on_input) {
        on_input(buf, *r);
      }
      continue;
    }
    pollfd fds[2] = {{from_engine, POLLIN, 0},
                     {conn.fd(), static_cast<short>(reading_client ? POLLIN : 0), 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (!reading_client && (fds[1].revents & (POLLHUP | POLLERR))) return;  // client gone
      if (reading_client) {
        auto r = conn.Read(buf, sizeof(buf));
        if (!r.ok() || *r == 0) {
          reading_client = false;
          if (on_input_eof) on_input_eof();
          if (fds[1].revents & (POLLHUP | POLLERR)) return;
        } else if (on_input) {
          on_input(buf, *r);
        }
      }
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t r = read(from_engine, buf, sizeof(buf));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return;
      if (!conn.Write(std::string_view(buf, static_cast<size_t>(r))).ok()) return;
    }
  }
}

}  // namespace berth::runtime
