// Moving container output: IoPump reads a container's stdout/stderr (or its
// pty) and fans it out to the json-file log and to attached clients; Bridge
// connects a client connection to a pipe in both directions.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/fd.h"
#include "runtime/api_types.h"

namespace berth::runtime {

// Docker's stream multiplexing frame: [stream, 0, 0, 0, size (big endian)] + data.
std::string Frame(int stream, const char* data, size_t n);

// A consumer of output. Write returns false once the consumer is gone.
class OutputSink {
 public:
  virtual ~OutputSink() = default;
  virtual bool Write(int stream, const char* p, size_t n, const std::string& time) = 0;
  virtual void Close() = 0;
};

// Writes output (framed unless raw) into a pipe whose other end a Bridge reads.
class PipeSink : public OutputSink {
 public:
  PipeSink(UniqueFd write_end, bool raw, bool want_stdout, bool want_stderr,
           bool timestamps = false)
      : fd_(std::move(write_end)),
        raw_(raw),
        stdout_(want_stdout),
        stderr_(want_stderr),
        timestamps_(timestamps) {}
  bool Write(int stream, const char* p, size_t n, const std::string& time) override;
  void Close() override { fd_.Reset(); }

 private:
  std::mutex mu_;
  UniqueFd fd_;
  bool raw_, stdout_, stderr_, timestamps_;
};

class IoPump {
 public:
  // `out`/`err` are read ends (err may be invalid, e.g. for a tty). Each
  // chunk goes to the log file at `log_path` (json-file format) when set.
  IoPump(UniqueFd out, UniqueFd err, std::string log_path);
  ~IoPump();
  void Start();
  // Runs `fn` with output paused (used to replay the log and then subscribe
  // without losing or repeating a chunk).
  void Locked(const std::function<void()>& fn);
  void AddSinkLocked(std::shared_ptr<OutputSink> sink) { sinks_.push_back(std::move(sink)); }
  void AddSink(std::shared_ptr<OutputSink> sink);
  // Waits for end of output, then closes every sink.
  void Join();

 private:
  void Loop();
  void Emit(int stream, const char* p, size_t n);
  UniqueFd out_, err_;
  UniqueFd log_;
  std::mutex mu_;
  std::vector<std::shared_ptr<OutputSink>> sinks_;
  std::thread thread_;
  bool done_ = false;
};

// One json-file log record.
struct LogLine {
  int stream;
  std::string time;
  std::string text;
};
std::vector<LogLine> ReadLog(const std::string& path);

// Pumps bytes between a client connection and the engine until `from_engine`
// ends (EOF): engine output read from `from_engine` goes to the client;
// client input goes to `on_input`, and `on_input_eof` runs when the client
// stops sending. Returns early if the client hangs up.
void Bridge(Conn& conn, int from_engine, const std::function<void(const char*, size_t)>& on_input,
            const std::function<void()>& on_input_eof);

}  // namespace berth::runtime
