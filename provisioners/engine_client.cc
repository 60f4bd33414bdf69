#include "provisioners/engine_client.h"

#include <curl/curl.h>

#include <cstdio>
#include <memory>
#include <mutex>

namespace berth::provisioners {
namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
struct FileCloser {
  void operator()(FILE* f) const { fclose(f); }
};

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// The engine's error body is {"message": "..."}; fall back to the raw body.
std::string ErrorText(const EngineReply& r) {
  auto j = ParseJson(r.body, "engine reply");
  if (j.ok() && j->is_object() && j->contains("message") && (*j)["message"].is_string())
    return (*j)["message"].get<std::string>();
  return r.body.substr(0, 300);
}

Code CodeForHttp(long code) {
  switch (code) {
    case 400:
      return Code::kInvalidArgument;
    case 404:
      return Code::kNotFound;
    case 409:
      return Code::kAlreadyExists;
    case 503:
      return Code::kUnavailable;
    default:
      return Code::kInternal;
  }
}

std::string UrlEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace

Json ContainerCreateJson(const ContainerCreate& s) {
  Json body = {{"Image", s.image}};
  if (!s.cmd.empty()) body["Cmd"] = s.cmd;
  if (!s.entrypoint.empty()) body["Entrypoint"] = s.entrypoint;
  if (!s.env.empty()) body["Env"] = s.env;
  if (!s.hostname.empty()) body["Hostname"] = s.hostname;
  Json hc = {{"RestartPolicy", {{"Name", s.restart_policy}}}};
  if (!s.binds.empty()) hc["Binds"] = s.binds;
  if (!s.network.empty()) hc["NetworkMode"] = s.network;
  if (!s.ports.empty()) {
    Json exposed = Json::object(), bindings = Json::object();
    for (const auto& [host, container] : s.ports) {
      std::string key = std::to_string(container) + "/tcp";
      exposed[key] = Json::object();
      if (!bindings.contains(key)) bindings[key] = Json::array();
      bindings[key].push_back({{"HostIp", ""}, {"HostPort", std::to_string(host)}});
    }
    body["ExposedPorts"] = exposed;
    hc["PortBindings"] = bindings;
  }
  body["HostConfig"] = hc;
  return body;
}

Result<EngineReply> EngineClient::Call(const std::string& method, const std::string& path,
                                       const std::string& body, const std::string& body_file,
                                       std::chrono::seconds timeout) const {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return Internal("curl_easy_init failed");
  const std::string url = base_url() + path;
  const std::string what = method + " " + url;
  CURL* c = curl.get();
  EngineReply reply;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_CAINFO, certs_.ca.c_str());
  curl_easy_setopt(c, CURLOPT_SSLCERT, certs_.cert.c_str());
  curl_easy_setopt(c, CURLOPT_SSLKEY, certs_.key.c_str());
  curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // safe in threads
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");  // never through a proxy
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply.body);
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  std::unique_ptr<FILE, FileCloser> file;
  auto header = [&](const std::string& h) {
    headers.reset(curl_slist_append(headers.release(), h.c_str()));
  };
  if (!body_file.empty()) {
    file.reset(fopen(body_file.c_str(), "rb"));
    if (!file) return ErrnoStatus("open " + body_file, errno);
    fseeko(file.get(), 0, SEEK_END);
    curl_off_t size = ftello(file.get());
    rewind(file.get());
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(c, CURLOPT_READDATA, file.get());
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, size);
    header("Content-Type: application/x-tar");
    header("Expect:");  // no 100-continue round trip
  } else if (method == "POST" || !body.empty()) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    header("Content-Type: application/json");
  }
  if (headers) curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OPERATION_TIMEDOUT)
    return DeadlineExceeded(what + ": no reply within " + std::to_string(timeout.count()) + "s");
  if (rc != CURLE_OK) return Unavailable(what + ": " + curl_easy_strerror(rc));
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.code);
  return reply;
}

Status EngineClient::Expect(const std::string& what, const Result<EngineReply>& reply,
                            bool not_modified_ok) const {
  if (!reply.ok()) return reply.status().WithContext(what);
  long code = reply->code;
  if ((code >= 200 && code < 300) || (not_modified_ok && code == 304)) return Status::Ok();
  return Status(CodeForHttp(code), what + ": engine at " + host_ + ":" + std::to_string(port_) +
                                       ": HTTP " + std::to_string(code) + ": " + ErrorText(*reply));
}

Status EngineClient::Ping(std::chrono::seconds timeout) const {
  auto r = Call("GET", "/_ping", "", "", timeout);
  if (!r.ok()) return r.status();
  if (r->code != 200 || r->body != "OK")
    return Unavailable("GET " + base_url() + "/_ping: HTTP " + std::to_string(r->code) + " " +
                       r->body);
  return Status::Ok();
}

Status EngineClient::LoadImage(const std::string& archive) const {
  auto r = Call("POST", "/images/load?quiet=1", "", archive, std::chrono::seconds(600));
  BERTH_RETURN_IF_ERROR(Expect("load image " + archive, r));
  // The reply is a JSON message stream; a failure mid-way shows as errorDetail.
  if (r->body.find("\"error") != std::string::npos)
    return Internal("load image " + archive + ": " + r->body.substr(0, 300));
  return Status::Ok();
}

Result<std::string> EngineClient::CreateContainer(const ContainerCreate& spec) const {
  std::string path = "/containers/create";
  if (!spec.name.empty()) path += "?name=" + UrlEncode(spec.name);
  auto r = Call("POST", path, ContainerCreateJson(spec).dump());
  BERTH_RETURN_IF_ERROR(Expect("create container '" + spec.name + "'", r));
  auto j = ParseJson(r->body, "create reply");
  if (!j.ok() || !j->is_object() || !j->contains("Id") || !(*j)["Id"].is_string())
    return Internal("create container '" + spec.name + "': no Id in reply: " + r->body);
  return (*j)["Id"].get<std::string>();
}

Status EngineClient::StartContainer(const std::string& ref) const {
  return Expect("start container '" + ref + "'",
                Call("POST", "/containers/" + UrlEncode(ref) + "/start"), true);
}

Status EngineClient::StopContainer(const std::string& ref, int grace_s) const {
  return Expect("stop container '" + ref + "'",
                Call("POST", "/containers/" + UrlEncode(ref) + "/stop?t=" + std::to_string(grace_s),
                     "", "", std::chrono::seconds(grace_s + 30)),
                true);
}

Status EngineClient::KillContainer(const std::string& ref, const std::string& signal) const {
  return Expect(
      "kill container '" + ref + "'",
      Call("POST", "/containers/" + UrlEncode(ref) + "/kill?signal=" + UrlEncode(signal)));
}

Status EngineClient::RemoveContainer(const std::string& ref, bool force) const {
  return Expect("remove container '" + ref + "'",
                Call("DELETE", "/containers/" + UrlEncode(ref) + (force ? "?force=1" : "")));
}

Result<ContainerState> EngineClient::InspectContainer(const std::string& ref) const {
  auto r = Call("GET", "/containers/" + UrlEncode(ref) + "/json");
  BERTH_RETURN_IF_ERROR(Expect("inspect container '" + ref + "'", r));
  BERTH_ASSIGN_OR_RETURN(Json j, ParseJson(r->body, "inspect reply for '" + ref + "'"));
  ContainerState s;
  try {
    s.id = j.value("Id", "");
    const Json st = j.value("State", Json::object());
    s.status = st.value("Status", "");
    s.running = st.value("Running", false);
    s.exit_code = st.value("ExitCode", 0);
    s.pid = st.value("Pid", 0);
  } catch (const std::exception& e) {
    return Internal("inspect container '" + ref + "': unexpected reply: " + e.what());
  }
  return s;
}

}  // namespace berth::provisioners
