#include "runtime/http_server.h"

#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>

namespace berth::runtime {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Unix = asio::local::stream_protocol;
using Tcp = asio::ip::tcp;

namespace {

constexpr uint64_t kMaxBody = uint64_t{4} << 30;  // image loads arrive as bodies

std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

// Serves bytes Beast read past the request head before any new socket read.
size_t TakePrefix(std::string& prefix, char* buf, size_t n) {
  size_t k = std::min(n, prefix.size());
  memcpy(buf, prefix.data(), k);
  prefix.erase(0, k);
  return k;
}

// Byte stream over a plain socket, serving bytes Beast already buffered first.
class PlainConn : public Conn {
 public:
  PlainConn(int fd, std::string prefix) : fd_(fd), prefix_(std::move(prefix)) {}
  Result<size_t> Read(char* buf, size_t n) override {
    if (!prefix_.empty()) return TakePrefix(prefix_, buf, n);
    for (;;) {
      ssize_t r = ::read(fd_, buf, n);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return ErrnoStatus("read from client", errno);
      return static_cast<size_t>(r);
    }
  }
  Status Write(std::string_view d) override {
    while (!d.empty()) {
      ssize_t w = ::send(fd_, d.data(), d.size(), MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return ErrnoStatus("write to client", errno);
      d.remove_prefix(w);
    }
    return Status::Ok();
  }
  int fd() const override { return fd_; }
  bool Buffered() const override { return !prefix_.empty(); }
  void CloseWrite() override { ::shutdown(fd_, SHUT_WR); }

 private:
  int fd_;
  std::string prefix_;
};

// Byte stream over the Asio TLS stream. Asio runs OpenSSL over a memory BIO
// pair and moves the bytes to and from the socket itself, so SSL_read and
// SSL_write on the native handle never touch the socket: every read and write
// must go through the stream. Buffered() also counts bytes that Asio already
// took off the socket (decrypted or still in the BIO), which poll() cannot see.
class TlsConn : public Conn {
 public:
  using Stream = asio::ssl::stream<Tcp::socket>;
  TlsConn(Stream& tls, std::string prefix) : tls_(tls), prefix_(std::move(prefix)) {}
  Result<size_t> Read(char* buf, size_t n) override {
    if (!prefix_.empty()) return TakePrefix(prefix_, buf, n);
    beast::error_code ec;
    size_t r = tls_.read_some(asio::buffer(buf, n), ec);
    if (r > 0) return r;
    // close_notify (eof) or a peer that just closed the socket (truncated).
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated ||
        ec == asio::error::connection_reset)
      return size_t{0};
    if (ec) return Unavailable("TLS read failed: " + ec.message());
    return size_t{0};
  }
  Status Write(std::string_view d) override {
    beast::error_code ec;
    asio::write(tls_, asio::buffer(d.data(), d.size()), ec);
    if (ec) return Unavailable("TLS write failed: " + ec.message());
    return Status::Ok();
  }
  int fd() const override { return const_cast<Stream&>(tls_).next_layer().native_handle(); }
  bool Buffered() const override {
    SSL* ssl = const_cast<Stream&>(tls_).native_handle();
    return !prefix_.empty() || SSL_pending(ssl) > 0 || SSL_has_pending(ssl) ||
           BIO_ctrl_pending(SSL_get_rbio(ssl)) > 0;
  }
  // A TLS half-close would need Asio to flush a close_notify without waiting
  // for the peer's; nothing uses CloseWrite, so it does nothing here and the
  // connection's end (close_notify after the stream) marks end of output.
  void CloseWrite() override {}

 private:
  Stream& tls_;
  std::string prefix_;
};

double MillisSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

// --debug: one line per request (and per TLS handshake) with its duration.
void DebugLog(const std::string& what, std::chrono::steady_clock::time_point t) {
  std::fprintf(stderr, "berthd: debug: %s %.1f ms\n", what.c_str(), MillisSince(t));
}

// Serves requests on one connection until it closes or a stream takes it.
template <class Stream, class MakeConn>
void Serve(Stream& stream, Engine& engine, const Router& router, bool debug, MakeConn make_conn) {
  beast::flat_buffer buf;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(kMaxBody);
    beast::error_code ec;
    http::read(stream, buf, parser, ec);
    if (ec) return;
    auto& req = parser.get();
    ApiRequest ar;
    ar.method = std::string(req.method_string());
    std::string target(req.target());
    size_t q = target.find('?');
    ar.path = target.substr(0, q);
    if (q != std::string::npos) {
      std::string qs = target.substr(q + 1);
      size_t pos = 0;
      while (pos <= qs.size()) {
        size_t amp = qs.find('&', pos);
        if (amp == std::string::npos) amp = qs.size();
        std::string kv = qs.substr(pos, amp - pos);
        size_t eq = kv.find('=');
        if (!kv.empty()) {
          std::string k = Unescape(kv.substr(0, eq));
          std::string v = eq == std::string::npos ? "" : Unescape(kv.substr(eq + 1));
          ar.query[k] = v;
          ar.query_all.emplace(k, v);
        }
        pos = amp + 1;
      }
    }
    for (const auto& f : req) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(tolower(c));
      ar.headers[name] = std::string(f.value());
    }
    ar.body = std::move(req.body());
    bool wants_upgrade = ar.headers.count("upgrade") > 0;
    auto started = std::chrono::steady_clock::now();
    ApiResponse res = router.Dispatch(engine, ar);
    if (debug) DebugLog(ar.method + " " + target + " -> " + std::to_string(res.status), started);
    if (res.stream) {
      bool up = res.upgrade && wants_upgrade;
      std::string head = up ? "HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                            : "HTTP/1.1 200 OK\r\nConnection: close\r\n";
      head += "Content-Type: " + res.content_type + "\r\nApi-Version: " + kApiVersion + "\r\n";
      for (const auto& [k, v] : res.headers) head += k + ": " + v + "\r\n";
      head += "\r\n";
      auto data = buf.data();
      std::string prefix(static_cast<const char*>(data.data()), data.size());
      auto conn = make_conn(std::move(prefix));
      if (conn->Write(head).ok()) res.stream(*conn);
      return;
    }
    http::response<http::string_body> out{static_cast<http::status>(res.status), req.version()};
    out.set(http::field::server, "berthd/" BERTH_VERSION);
    out.set("Api-Version", kApiVersion);
    out.set("Docker-Experimental", "false");
    out.set("Ostype", "linux");
    for (const auto& [k, v] : res.headers) out.set(k, v);
    if (res.status != 204 && res.status != 304) {
      out.set(http::field::content_type, res.use_raw ? res.content_type : "application/json");
      out.body() = res.use_raw ? res.raw : (res.body.is_null() ? "" : res.body.dump() + "\n");
    }
    out.keep_alive(req.keep_alive());
    out.prepare_payload();
    if (ar.method == "HEAD") out.body().clear();
    http::write(stream, out, ec);
    if (ec || !req.keep_alive()) return;
  }
}

}  // namespace

struct HttpServer::Impl {
  Engine& engine;
  const Router& router;
  asio::io_context io;
  std::unique_ptr<Unix::acceptor> unix_acceptor;
  std::unique_ptr<Tcp::acceptor> tcp_acceptor;
  std::unique_ptr<asio::ssl::context> ssl;
  std::atomic<bool> stopping{false};
  bool debug = false;

  Impl(Engine& e, const Router& r) : engine(e), router(r) {}

  void AcceptUnix() {
    unix_acceptor->async_accept([this](beast::error_code ec, Unix::socket sock) {
      if (!ec) {
        std::thread([this, s = std::move(sock)]() mutable {
          Serve(s, engine, router, debug, [&](std::string prefix) {
            return std::make_unique<PlainConn>(s.native_handle(), std::move(prefix));
          });
        }).detach();
      }
      if (!stopping) AcceptUnix();
    });
  }

  void AcceptTcp() {
    tcp_acceptor->async_accept([this](beast::error_code ec, Tcp::socket sock) {
      if (!ec) {
        std::thread([this, s = std::move(sock)]() mutable {
          auto started = std::chrono::steady_clock::now();
          // Small writes (TLS records, HTTP heads) go out at once instead of
          // waiting for the peer's ACK of the previous one (Nagle), as
          // dockerd's sockets do.
          beast::error_code nec;
          s.set_option(Tcp::no_delay(true), nec);
          asio::ssl::stream<Tcp::socket> tls(std::move(s), *ssl);
          beast::error_code hec;
          tls.handshake(asio::ssl::stream_base::server, hec);
          if (debug)
            DebugLog(hec ? "TLS handshake refused (" + hec.message() + ")" : "TLS handshake",
                     started);
          if (hec) return;  // no or wrong client certificate: refused here
          Serve(tls, engine, router, debug, [&](std::string prefix) {
            return std::make_unique<TlsConn>(tls, std::move(prefix));
          });
          beast::error_code sec;
          tls.shutdown(sec);
        }).detach();
      }
      if (!stopping) AcceptTcp();
    });
  }
};

HttpServer::HttpServer(Engine& engine, const Router& router)
    : impl_(std::make_unique<Impl>(engine, router)) {}
HttpServer::~HttpServer() = default;

Status HttpServer::ListenUnix(const std::string& path) {
  ::unlink(path.c_str());
  beast::error_code ec;
  auto acc = std::make_unique<Unix::acceptor>(impl_->io);
  acc->open(Unix(), ec);
  if (!ec) acc->bind(Unix::endpoint(path), ec);
  if (!ec) acc->listen(128, ec);
  if (ec) return Status(Code::kIo, "listen on " + path + ": " + ec.message());
  if (::chmod(path.c_str(), 0660) != 0) return ErrnoStatus("chmod " + path, errno);
  impl_->unix_acceptor = std::move(acc);
  impl_->AcceptUnix();
  return Status::Ok();
}

Status HttpServer::ListenTls(const TlsOptions& tls) {
  size_t colon = tls.listen.rfind(':');
  if (colon == std::string::npos)
    return InvalidArgument("--tls-listen wants HOST:PORT, got " + tls.listen);
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  beast::error_code ec;
  ctx->set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                   asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  ctx->use_certificate_chain_file(tls.cert, ec);
  if (ec) return InvalidArgument("TLS certificate " + tls.cert + ": " + ec.message());
  ctx->use_private_key_file(tls.key, asio::ssl::context::pem, ec);
  if (ec) return InvalidArgument("TLS key " + tls.key + ": " + ec.message());
  ctx->load_verify_file(tls.ca_cert, ec);
  if (ec) return InvalidArgument("TLS CA " + tls.ca_cert + ": " + ec.message());
  ctx->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
  // The docker client never resumes a session (its TLS config has no session
  // cache), so session tickets and the server-side cache are pure cost: on a
  // one-vCPU TCG guest, issuing two tickets took ~5 ms of a ~30 ms handshake.
  SSL_CTX_set_num_tickets(ctx->native_handle(), 0);
  SSL_CTX_set_session_cache_mode(ctx->native_handle(), SSL_SESS_CACHE_OFF);
  auto addr = asio::ip::make_address(tls.listen.substr(0, colon), ec);
  if (ec) return InvalidArgument("--tls-listen address: " + ec.message());
  Tcp::endpoint ep(addr, static_cast<unsigned short>(std::stoi(tls.listen.substr(colon + 1))));
  auto acc = std::make_unique<Tcp::acceptor>(impl_->io);
  acc->open(ep.protocol(), ec);
  if (!ec) acc->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc->bind(ep, ec);
  if (!ec) acc->listen(128, ec);
  if (ec) return Status(Code::kIo, "listen on " + tls.listen + ": " + ec.message());
  impl_->ssl = std::move(ctx);
  impl_->tcp_acceptor = std::move(acc);
  impl_->AcceptTcp();
  return Status::Ok();
}

void HttpServer::SetDebug(bool debug) { impl_->debug = debug; }

void HttpServer::Run() { impl_->io.run(); }

void HttpServer::Stop() {
  impl_->stopping = true;
  impl_->io.stop();
}

}  // namespace berth::runtime
