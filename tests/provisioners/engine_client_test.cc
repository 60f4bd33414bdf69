#include "provisioners/engine_client.h"

#include <gtest/gtest.h>

#include "fakes/loopback_port.h"

namespace berth::provisioners {
namespace {

TEST(EngineClientTest, CreateBodyIsWhatDockerSends) {
  ContainerCreate c;
  c.name = "web";
  c.image = "busybox:latest";
  c.cmd = {"sh", "-c", "httpd -f -p 80"};
  c.env = {"A=1"};
  c.hostname = "web1";
  c.ports = {{8080, 80}, {8081, 80}};
  c.binds = {"data:/data", "/var/lib/berth/lab-hosts:/etc/hosts:ro"};
  c.network = "host";
  c.restart_policy = "always";
  Json j = ContainerCreateJson(c);
  EXPECT_EQ(j["Image"], "busybox:latest");
  EXPECT_EQ(j["Cmd"], Json({"sh", "-c", "httpd -f -p 80"}));
  EXPECT_EQ(j["Env"], Json({"A=1"}));
  EXPECT_EQ(j["Hostname"], "web1");
  EXPECT_FALSE(j.contains("Entrypoint"));
  EXPECT_TRUE(j["ExposedPorts"].contains("80/tcp"));
  const Json& hc = j["HostConfig"];
  ASSERT_EQ(hc["PortBindings"]["80/tcp"].size(), 2u);
  EXPECT_EQ(hc["PortBindings"]["80/tcp"][0]["HostPort"], "8080");
  EXPECT_EQ(hc["PortBindings"]["80/tcp"][1]["HostPort"], "8081");
  EXPECT_EQ(hc["Binds"].size(), 2u);
  EXPECT_EQ(hc["NetworkMode"], "host");
  EXPECT_EQ(hc["RestartPolicy"]["Name"], "always");
  // Defaults leave the image's command and the engine's network alone.
  ContainerCreate plain;
  plain.name = "x";
  plain.image = "busybox";
  Json d = ContainerCreateJson(plain);
  EXPECT_FALSE(d.contains("Cmd") || d.contains("Env") || d.contains("Hostname"));
  EXPECT_FALSE(d["HostConfig"].contains("NetworkMode") || d["HostConfig"].contains("Binds"));
  EXPECT_EQ(d["HostConfig"]["RestartPolicy"]["Name"], "no");
}

TEST(EngineClientTest, NoEngineIsUnavailableAndNamesTheUrl) {
  int port = 0;
  ASSERT_TRUE(berth::testing::BindLoopbackTcp(&port));  // closed again: nothing listens there
  EngineClient client("127.0.0.1", port, {});
  Status st = client.Ping();
  EXPECT_EQ(st.code(), Code::kUnavailable) << st.message();
  EXPECT_NE(st.message().find("https://127.0.0.1:" + std::to_string(port)), std::string::npos)
      << st.message();
  st = client.StartContainer("web");
  EXPECT_EQ(st.code(), Code::kUnavailable);
  EXPECT_NE(st.message().find("start container 'web'"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace berth::provisioners
