// The engine API's request/response types, shared by the HTTP server, the
// route table and the per-resource handler files.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "base/json_util.h"
#include "base/status.h"

namespace berth::runtime {

// A client connection handed over to a handler for streaming or after an
// HTTP upgrade (attach, exec). Used by one thread at a time.
class Conn {
 public:
  virtual ~Conn() = default;
  // Reads up to n bytes; 0 at end of input.
  virtual Result<size_t> Read(char* buf, size_t n) = 0;
  virtual Status Write(std::string_view data) = 0;
  // The socket, for poll(); Buffered() tells whether bytes are ready without it.
  virtual int fd() const = 0;
  virtual bool Buffered() const = 0;
  virtual void CloseWrite() = 0;
};

struct ApiRequest {
  std::string method;
  std::string path;                                   // without the "/v1.NN" prefix
  std::map<std::string, std::string> query;           // last value of each key
  std::multimap<std::string, std::string> query_all;  // every value (names=a&names=b)
  std::map<std::string, std::string> params;          // from the route pattern, e.g. {id}
  std::map<std::string, std::string> headers;         // lowercase names
  std::string body;
  std::string api_version;  // from the path, or the server's default

  std::string Query(const std::string& k, const std::string& def = "") const {
    auto it = query.find(k);
    return it == query.end() ? def : it->second;
  }
  // Docker's boolean query values: "1", "true", "True".
  bool QueryBool(const std::string& k, bool def = false) const;
  const std::string& Param(const std::string& k) const { return params.at(k); }
};

struct ApiResponse {
  int status = 200;
  Json body;        // sent as JSON unless `raw` is set
  std::string raw;  // sent verbatim with `content_type`
  bool use_raw = false;
  std::string content_type = "application/json";
  std::map<std::string, std::string> headers;
  // Streaming responses: the server writes the head (101 when the client asked
  // for an upgrade and `upgrade` is set, else 200 without a length) and hands
  // the connection to `stream`; the connection closes when it returns.
  std::function<void(Conn&)> stream;
  bool upgrade = false;

  static ApiResponse Body(int status, berth::Json body) {
    ApiResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
  static ApiResponse NoContent() {
    ApiResponse r;
    r.status = 204;
    return r;
  }
  static ApiResponse Text(int status, std::string text, std::string type = "text/plain") {
    ApiResponse r;
    r.status = status;
    r.raw = std::move(text);
    r.use_raw = true;
    r.content_type = std::move(type);
    return r;
  }
};

class Engine;
using Handler = std::function<Result<ApiResponse>(Engine&, const ApiRequest&)>;

}  // namespace berth::runtime
