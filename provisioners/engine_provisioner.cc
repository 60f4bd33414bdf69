#include "provisioners/engine_provisioner.h"

#include <unistd.h>

#include "base/file_util.h"
#include "base/subprocess.h"
#include "machine/ssh.h"
#include "provisioners/certs.h"
#include "provisioners/engine_bundle.h"
#include "provisioners/engine_ping.h"

namespace berth::provisioners {
namespace {

constexpr const char* kDataDisk = "/var/lib/berth";  // the data disk in the guest
constexpr const char* kBundleDir = "engine-bundle";  // bundles, by version, on it

Result<std::string> Ssh(const machine::Store& store, const machine::MachineConfig& c,
                        const std::string& command, const std::string& stdin_data = "") {
  RunOptions o;
  o.stdin_data = stdin_data;
  o.timeout = std::chrono::minutes(5);
  return RunChecked(machine::SshArgv(store, c, false, {command}), o);
}

}  // namespace

std::string CacheDir(const std::string& home) {
  const char* cache = getenv("BERTH_CACHE");
  return cache && *cache ? cache : home + "/cache";
}

std::string EngineRunScript(const machine::MachineConfig& c, const std::string& version) {
  std::string b = std::string(kDataDisk) + "/" + kBundleDir + "/" + version;
  // `docker pull busybox` in the machine pulls from the lab registry.
  std::string registry;
  if (c.registry_port != 0)
    registry = " \\\n  --default-registry " + std::string(machine::kRegistryGuestAddress) + ":" +
               std::to_string(machine::kRegistryGuestPort);
  return "#!/bin/sh\n"
         "# berthd, installed by berth's engine provisioner. runsv restarts it.\n"
         "exec 2>&1\n"
         "b=" +
         b +
         "\n"
         "export LD_LIBRARY_PATH=$b/lib PATH=$b/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
         "mkdir -p /run/berth\n"
         "# Under TCG (no kvm-clock), QEMU translates a program's code again at\n"
         "# every randomized exec: crun starts 2-3x faster without ASLR.\n"
         "# Containers keep theirs.\n"
         "aslr=--no-runtime-aslr\n"
         "grep -qs kvm-clock /sys/devices/system/clocksource/clocksource0/available_clocksource"
         " && aslr=\n"
         "exec $b/bin/berthd $aslr --root /var/lib/berth/engine -H unix:///run/berth/engine.sock "
         "\\\n"
         "  --tls-listen 0.0.0.0:2376 --tlscacert /var/lib/berth/tls/ca.pem \\\n"
         "  --tlscert /var/lib/berth/tls/server.pem --tlskey /var/lib/berth/tls/server-key.pem \\\n"
         "  --crun $b/bin/crun --name " +
         c.name + registry + "\n";
}

Status EngineProvisioner::Provision(const machine::MachineConfig& c,
                                    const machine::ProgressFn& progress) {
  return Install(c, progress, !PathExists(store_.PathOf(c.name, "server.pem")));
}

Status EngineProvisioner::AfterBoot(const machine::MachineConfig& c,
                                    const machine::ProgressFn& progress) {
  if (!PathExists(store_.PathOf(c.name, "server.pem"))) return Status::Ok();
  BERTH_ASSIGN_OR_RETURN(ClientCerts certs, EnsureClientCerts(store_));
  if (progress)
    progress(c.name, "waiting for the engine on " + c.host + ":" + std::to_string(c.engine_port));
  return WaitForEngine(c.host, c.engine_port, certs, timeout_)
      .WithContext("machine '" + c.name + "': engine (berthd's output is in the serial log " +
                   store_.PathOf(c.name, "serial.log") + ")");
}

Status EngineProvisioner::RegenerateCerts(const machine::MachineConfig& c,
                                          const machine::ProgressFn& progress) {
  return Install(c, progress, true);
}

Result<EngineBundle> EngineProvisioner::Bundle() {
  std::lock_guard<std::mutex> lock(bundle_mu_);
  if (!bundle_) {
    BERTH_ASSIGN_OR_RETURN(EngineBundle b, EnsureEngineBundle(cache_dir_));
    bundle_ = b;
  }
  return *bundle_;
}

Status EngineProvisioner::StageDataDisk(const machine::MachineConfig& c, const std::string& dir,
                                        const machine::ProgressFn& progress) {
  std::string ctx = "prepare the engine for machine '" + c.name + "'";
  if (progress) progress(c.name, "preparing TLS certificates and the engine bundle");
  BERTH_ASSIGN_OR_RETURN(ClientCerts certs, EnsureClientCerts(store_));
  BERTH_RETURN_IF_ERROR(MakeServerCert(store_, c).WithContext(ctx));
  BERTH_ASSIGN_OR_RETURN(EngineBundle bundle, Bundle());
  // The bundle goes onto the data disk itself: nothing to upload after boot,
  // and the guest's supervisor starts berthd as soon as it boots.
  const std::string bundle_dir = dir + "/" + kBundleDir + "/" + bundle.version;
  BERTH_RETURN_IF_ERROR(MakeDirs(bundle_dir, 0755).WithContext(ctx));
  BERTH_RETURN_IF_ERROR(
      RunChecked({"tar", "xzf", bundle.tarball, "-C", bundle_dir}).status().WithContext(ctx));
  return WriteEngineFiles(c, certs, bundle.version, dir).WithContext(ctx);
}

Status EngineProvisioner::WriteEngineFiles(const machine::MachineConfig& c,
                                           const ClientCerts& certs, const std::string& version,
                                           const std::string& root) const {
  BERTH_RETURN_IF_ERROR(MakeDirs(root + "/tls", 0700));
  BERTH_RETURN_IF_ERROR(MakeDirs(root + "/services/berthd", 0755));
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {certs.ca, "ca.pem"},
           {store_.PathOf(c.name, "server.pem"), "server.pem"},
           {store_.PathOf(c.name, "server-key.pem"), "server-key.pem"}}) {
    BERTH_ASSIGN_OR_RETURN(std::string data, ReadFile(from));
    BERTH_RETURN_IF_ERROR(WriteFileAtomic(root + "/tls/" + to, data, 0600));
  }
  return WriteFileAtomic(root + "/services/berthd/run", EngineRunScript(c, version), 0755);
}

Status EngineProvisioner::Install(const machine::MachineConfig& c,
                                  const machine::ProgressFn& progress, bool new_cert) {
  std::string ctx = "install the engine on machine '" + c.name + "'";
  auto say = [&](const std::string& what) {
    if (progress) progress(c.name, what);
  };
  say("preparing TLS certificates and the engine bundle");
  BERTH_ASSIGN_OR_RETURN(ClientCerts certs, EnsureClientCerts(store_));
  if (new_cert) BERTH_RETURN_IF_ERROR(MakeServerCert(store_, c).WithContext(ctx));
  BERTH_ASSIGN_OR_RETURN(EngineBundle bundle, Bundle());

  std::string dir = std::string(kDataDisk) + "/" + kBundleDir + "/" + bundle.version;
  auto have = Ssh(store_, c, "test -x " + dir + "/bin/berthd && echo have || echo missing");
  if (!have.ok()) return have.status().WithContext(ctx);
  if (have->find("have") == std::string::npos) {
    say("uploading the engine bundle " + bundle.version);
    BERTH_ASSIGN_OR_RETURN(std::string tarball, ReadFile(bundle.tarball));
    auto up = Ssh(store_, c,
                  "rm -rf " + dir + ".tmp && mkdir -p " + dir + ".tmp && tar xzf - -C " + dir +
                      ".tmp && mv " + dir + ".tmp " + dir + " && sync",
                  tarball);
    if (!up.ok()) return up.status().WithContext(ctx);
  }

  // TLS material and the service, as one tar into /var/lib/berth/.provision.
  say("configuring berthd");
  std::string staging = store_.PathOf(c.name, ".provision");
  RemoveAll(staging).ok();
  Status staged = WriteEngineFiles(c, certs, bundle.version, staging);
  auto tar = staged.ok() ? RunChecked({"tar", "czf", "-", "-C", staging, "tls", "services"})
                         : Result<std::string>(staged);
  RemoveAll(staging).ok();
  if (!tar.ok()) return tar.status().WithContext(ctx);
  // berthd restarts only when its certificate or run script changed (a
  // machine created with everything on its data disk runs berthd already). A
  // new service folder is renamed into place whole; an existing one gets the
  // new run script and a restart (sv needs the absolute path: a relative
  // name is looked up under /service; its own 7 s wait may time out while
  // berthd stops its containers: the TLS /_ping below is the real check).
  // Ends with sync: a machine killed right after this must still find its
  // service on the data disk.
  auto conf = Ssh(store_, c,
                  "set -e; cd /var/lib/berth; rm -rf .provision; mkdir .provision; "
                  "tar xzf - -C .provision; mkdir -p services tls; chmod 700 tls; changed=; "
                  "for f in ca.pem server.pem server-key.pem; do "
                  "cmp -s .provision/tls/$f tls/$f || changed=1; done; "
                  "cmp -s .provision/services/berthd/run services/berthd/run || changed=1; "
                  "if [ -n \"$changed\" ]; then cp -p .provision/tls/* tls/; "
                  "if [ -d services/berthd ]; then "
                  "cp .provision/services/berthd/run services/berthd/run; "
                  "sv restart /var/lib/berth/services/berthd >/dev/null || true; else "
                  "mv .provision/services/berthd services/.berthd; "
                  "mv services/.berthd services/berthd; fi; fi; rm -rf .provision; sync",
                  *tar);
  if (!conf.ok()) return conf.status().WithContext(ctx);

  say("waiting for the engine's TLS /_ping on " + c.host + ":" + std::to_string(c.engine_port));
  return WaitForEngine(c.host, c.engine_port, certs, timeout_)
      .WithContext(ctx + " (berthd's output is in the serial log " +
                   store_.PathOf(c.name, "serial.log") + ")");
}

}  // namespace berth::provisioners
