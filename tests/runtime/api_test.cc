// API request decoding and routing, without a server.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "base/file_util.h"
#include "runtime/api_router.h"
#include "runtime/api_util.h"
#include "runtime/container_request.h"
#include "runtime/engine.h"
#include "runtime/registry_client.h"

namespace berth::runtime {
namespace {

TEST(Decode, RunFlags) {
  Json body = Json::parse(R"({
    "Image": "busybox", "Cmd": ["echo", "hi"], "Env": ["A=1"], "Tty": true, "OpenStdin": true,
    "HostConfig": {"Memory": 67108864, "NanoCpus": 500000000, "AutoRemove": true,
                   "Binds": ["data:/data:ro", "/host:/h"], "NetworkMode": "default",
                   "RestartPolicy": {"Name": ""}, "PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]},
                   "Privileged": false, "LogConfig": {"Type": "", "Config": {}}}})");
  auto s = DecodeCreateRequest(body, "/web");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->name, "web");
  EXPECT_EQ(s->cmd, (std::vector<std::string>{"echo", "hi"}));
  EXPECT_EQ(s->memory, 67108864);
  EXPECT_EQ(s->nano_cpus, 500000000);
  EXPECT_TRUE(s->auto_remove);
  EXPECT_TRUE(s->tty);
  EXPECT_EQ(s->network_mode, "bridge");
  ASSERT_EQ(s->mounts.size(), 2u);
  EXPECT_EQ(s->mounts[0].volume, "data");
  EXPECT_TRUE(s->mounts[0].read_only);
  EXPECT_EQ(s->mounts[1].source, "/host");
  ASSERT_EQ(s->ports.size(), 1u);
  EXPECT_EQ(s->ports[0].host_port, 8080);
}

TEST(Decode, UnsupportedSettingsAreNamed) {
  Json body = Json::parse(R"({"Image": "busybox", "HostConfig": {"Privileged": true}})");
  auto s = DecodeCreateRequest(body, "");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("HostConfig.Privileged"), std::string::npos);
  EXPECT_EQ(ErrorResponse(s.status()).status, 501);
  Json hc = Json::parse(R"({"Image": "busybox", "Healthcheck": {"Test": ["CMD", "true"]}})");
  auto h = DecodeCreateRequest(hc, "");
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.status().message().find("Config.Healthcheck"), std::string::npos);
}

TEST(Decode, BadInputIsInvalidArgument) {
  EXPECT_EQ(DecodeCreateRequest(Json::parse(R"({"Cmd": ["x"]})"), "").status().code(),
            Code::kInvalidArgument);
  EXPECT_FALSE(ParseBind("nocolon").ok());
  EXPECT_FALSE(ParseBind("v:relative").ok());
  Json rp =
      Json::parse(R"({"Image": "b", "HostConfig": {"RestartPolicy": {"Name": "sometimes"}}})");
  EXPECT_EQ(DecodeCreateRequest(rp, "").status().code(), Code::kInvalidArgument);
}

TEST(Decode, ExtraHosts) {
  auto s = DecodeCreateRequest(Json::parse(R"({"Image": "b",
    "HostConfig": {"ExtraHosts": ["db:10.1.2.3", "v6:fd00::1"]}})"),
                               "");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->extra_hosts, (std::vector<std::string>{"db:10.1.2.3", "v6:fd00::1"}));
  ContainerRecord rec;
  rec.id = "id";
  rec.spec = *s;
  auto back = ContainerFromJson(ToJson(rec), "x");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->spec.extra_hosts, s->extra_hosts);
  auto bad = DecodeCreateRequest(
      Json::parse(R"({"Image": "b", "HostConfig": {"ExtraHosts": ["db:not-an-ip"]}})"), "");
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("invalid --add-host 'db:not-an-ip'"), std::string::npos);
  auto gw = DecodeCreateRequest(
      Json::parse(R"({"Image": "b", "HostConfig": {"ExtraHosts": ["h:host-gateway"]}})"), "");
  EXPECT_NE(gw.status().message().find("host-gateway"), std::string::npos);
}

TEST(Http, StatusMapping) {
  EXPECT_EQ(HttpStatusFor(NotFound("x")), 404);
  EXPECT_EQ(HttpStatusFor(InvalidArgument("x")), 400);
  EXPECT_EQ(HttpStatusFor(AlreadyExists("x")), 409);
  ApiResponse r = ErrorResponse(NotFound("No such container: x"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body["message"], "No such container: x");
}

TEST(Router, VersionPrefixParamsAndUnknownEndpoints) {
  std::string seen;
  Router router(
      {{"GET", "/containers/{id}/json",
        [&](Engine&, const ApiRequest& req) -> Result<ApiResponse> {
          seen = req.Param("id");
          return ApiResponse::Body(200, {{"ok", true}});
        }},
       {"DELETE", "/images/{name*}", [&](Engine&, const ApiRequest& req) -> Result<ApiResponse> {
          seen = req.Param("name");
          return ApiResponse::NoContent();
        }}});
  char tmpl[] = "/tmp/berth-router-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  EngineOptions opts;
  opts.root = dir + "/root";
  opts.exec_root = dir + "/run";
  auto engine = Engine::Open(opts);
  ASSERT_TRUE(engine.ok()) << engine.status().message();
  Engine* eng = engine->get();
  ApiRequest a;
  a.method = "GET";
  a.path = "/v1.43/containers/abc/json";
  EXPECT_EQ(router.Dispatch(*eng, a).status, 200);
  EXPECT_EQ(seen, "abc");
  ApiRequest b;
  b.method = "DELETE";
  b.path = "/v1.43/images/127.0.0.1:5000/x/busybox:1";
  EXPECT_EQ(router.Dispatch(*eng, b).status, 204);
  EXPECT_EQ(seen, "127.0.0.1:5000/x/busybox:1");
  ApiRequest c;
  c.method = "POST";
  c.path = "/v1.43/swarm/init";
  ApiResponse rc = router.Dispatch(*eng, c);
  EXPECT_EQ(rc.status, 501);
  EXPECT_NE(rc.body["message"].get<std::string>().find("/swarm/init"), std::string::npos);
  ApiRequest d;
  d.method = "GET";
  d.path = "/v1.12/containers/abc/json";
  EXPECT_EQ(router.Dispatch(*eng, d).status, 400);  // too old
  engine->reset();
  (void)RemoveAll(dir);
}

TEST(Util, HumanDurationAndFilters) {
  EXPECT_EQ(HumanDuration(0), "Less than a second");
  EXPECT_EQ(HumanDuration(5), "5 seconds");
  EXPECT_EQ(HumanDuration(90), "About a minute");
  ApiRequest req;
  req.query["filters"] = R"({"status":{"exited":true},"name":["web"]})";
  auto f = ParseFilters(req);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)["status"], std::vector<std::string>{"exited"});
  EXPECT_EQ((*f)["name"], std::vector<std::string>{"web"});
}

}  // namespace
}  // namespace berth::runtime

namespace berth::runtime {
namespace {

TEST(Registry, ReferencesAndHubMapping) {
  auto r = ParseRegistryRef("127.0.0.1:5000/lab/busybox:1");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->host, "127.0.0.1:5000");
  EXPECT_EQ(r->repo, "lab/busybox");
  EXPECT_EQ(r->tag, "1");
  EXPECT_EQ(ParseRegistryRef("localhost:5000/x")->tag, "latest");
  EXPECT_FALSE(ParseRegistryRef("busybox").ok());
  EXPECT_FALSE(ParseRegistryRef("user/repo").ok());  // Docker Hub user repo: no host
  // Hub names never leave for the internet.
  EXPECT_FALSE(ResolveRegistry("docker.io/library/busybox:latest", "").ok());
  EXPECT_EQ(*ResolveRegistry("docker.io/library/busybox:1", "10.0.2.100:5000"),
            "10.0.2.100:5000/busybox:1");
  EXPECT_EQ(*ResolveRegistry("127.0.0.1:5000/x:1", ""), "127.0.0.1:5000/x:1");
}

}  // namespace
}  // namespace berth::runtime
