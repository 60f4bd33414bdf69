// Exec endpoints: /containers/{id}/exec and /exec/...
#include <thread>

#include "runtime/api_router.h"
#include "runtime/api_util.h"
#include "runtime/engine.h"

namespace berth::runtime {
namespace {

const std::set<std::string> kExecKeys = {
    "AttachStdin", "AttachStdout", "AttachStderr", "Tty",        "Cmd",    "Env",
    "User",        "WorkingDir",   "ConsoleSize",  "DetachKeys", "Detach", "Privileged"};

Result<ApiResponse> Create(Engine& e, const ApiRequest& req) {
  BERTH_ASSIGN_OR_RETURN(Json body, BodyJson(req));
  BERTH_RETURN_IF_ERROR(RejectUnsupported(body, kExecKeys, "exec config "));
  if (body.value("Privileged", false)) return Unsupported("exec --privileged");
  if (!IsDefault(body.value("DetachKeys", Json()))) return Unsupported("detach keys");
  ExecSpec s;
  s.cmd = JsonStrings(body.value("Cmd", Json()));
  s.env = JsonStrings(body.value("Env", Json()));
  s.user = body.value("User", "");
  s.working_dir = body.value("WorkingDir", "");
  s.tty = body.value("Tty", false);
  s.attach_stdin = body.value("AttachStdin", false);
  s.attach_stdout = body.value("AttachStdout", false);
  s.attach_stderr = body.value("AttachStderr", false);
  BERTH_ASSIGN_OR_RETURN(std::string id, e.containers().ExecCreate(req.Param("id"), s));
  return ApiResponse::Body(201, {{"Id", id}});
}

Result<ApiResponse> Start(Engine& e, const ApiRequest& req) {
  BERTH_ASSIGN_OR_RETURN(Json body, BodyJson(req));
  std::string id = req.Param("id");
  BERTH_ASSIGN_OR_RETURN(Json info, e.containers().ExecInspect(id));
  if (info["ExitCode"] != nullptr || info["Running"].get<bool>())
    return FailedPrecondition("Error: Exec command " + id + " has already run");
  ContainerManager* m = &e.containers();
  if (body.value("Detach", false)) {
    std::thread([m, id] { (void)m->ExecStart(id, nullptr); }).detach();
    return ApiResponse::Body(200, nullptr);
  }
  ApiResponse r;
  r.upgrade = true;
  r.content_type = body.value("Tty", false) || info["ProcessConfig"].value("tty", false)
                       ? "application/vnd.docker.raw-stream"
                       : "application/vnd.docker.multiplexed-stream";
  r.stream = [m, id](Conn& conn) {
    Status st = m->ExecStart(id, &conn);
    if (!st.ok()) (void)conn.Write(st.message() + "\n");
  };
  return r;
}

Result<ApiResponse> Inspect(Engine& e, const ApiRequest& req) {
  BERTH_ASSIGN_OR_RETURN(Json j, e.containers().ExecInspect(req.Param("id")));
  return ApiResponse::Body(200, j);
}

Result<ApiResponse> Resize(Engine& e, const ApiRequest& req) {
  BERTH_RETURN_IF_ERROR(e.containers().ExecResize(req.Param("id"), std::stoi(req.Query("h", "24")),
                                                  std::stoi(req.Query("w", "80"))));
  return ApiResponse::Body(200, nullptr);
}

}  // namespace

std::vector<Route> ExecRoutes() {
  return {
      {"POST", "/containers/{id}/exec", Create},
      {"POST", "/exec/{id}/start", Start},
      {"GET", "/exec/{id}/json", Inspect},
      {"POST", "/exec/{id}/resize", Resize},
  };
}

}  // namespace berth::runtime
