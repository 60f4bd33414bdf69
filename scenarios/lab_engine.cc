#include "scenarios/lab_engine.h"

#include <thread>

#include "provisioners/certs.h"
#include "provisioners/lab_images.h"

namespace berth::scenarios {
namespace {

Result<int> ParsePort(const std::string& text, const std::string& whole) {
  if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != std::string::npos)
    return InvalidArgument("port '" + whole + "': expected PORT or HOST:CONTAINER (1-65535)");
  int p = std::stoi(text);
  if (p < 1 || p > 65535)
    return InvalidArgument("port '" + whole + "': " + text + " is not in 1-65535");
  return p;
}

}  // namespace

Result<std::pair<int, int>> ParsePublishedPort(const std::string& text) {
  size_t colon = text.find(':');
  if (colon == std::string::npos) {
    BERTH_ASSIGN_OR_RETURN(int p, ParsePort(text, text));
    return std::make_pair(p, p);
  }
  BERTH_ASSIGN_OR_RETURN(int host, ParsePort(text.substr(0, colon), text));
  BERTH_ASSIGN_OR_RETURN(int container, ParsePort(text.substr(colon + 1), text));
  return std::make_pair(host, container);
}

Result<std::pair<std::string, int>> SplitTarget(const std::string& target) {
  size_t colon = target.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return InvalidArgument("target '" + target + "': expected MACHINE:PORT");
  BERTH_ASSIGN_OR_RETURN(auto port, ParsePublishedPort(target.substr(colon + 1)));
  return std::make_pair(target.substr(0, colon), port.first);
}

Result<LabPlan> PlanLab(const Scenario& s) {
  auto fail = [](const std::string& why) {
    return FailedPrecondition("the real lab cannot run this scenario: " + why +
                              ". Nothing was created");
  };
  LabPlan plan;
  plan.needs_engine = !s.images.empty() || !s.containers.empty();
  std::vector<std::string> images = s.images;
  for (const auto& c : s.containers) images.push_back(c.image);
  for (const auto& image : images)
    if (!provisioners::IsKnownLabImage(image)) {
      std::string known;
      for (const auto& k : provisioners::KnownLabImages()) known += (known.empty() ? "" : ", ") + k;
      return fail("image '" + image + "' cannot be seeded (the lab builds " + known +
                  "; there is no registry yet)");
    }
  for (const auto& c : s.containers)
    for (const auto& p : c.ports) {
      auto port = ParsePublishedPort(p);
      if (!port.ok()) return fail("container '" + c.name + "': " + port.status().message());
      plan.forwards[c.machine].insert(port->first);
    }
  auto target = [&](const std::string& t) -> Status {
    auto mp = SplitTarget(t);
    if (!mp.ok()) return fail(mp.status().message());
    if (mp->second == 22 || mp->second == 2376)
      return fail("target '" + t + "': ports 22 and 2376 are berth's own (SSH, engine)");
    plan.forwards[mp->first].insert(mp->second);
    return Status::Ok();
  };
  for (const auto& p : s.probes) {
    if (p.type == ProbeType::kKv && p.store != "etcd")
      return fail("probe '" + p.name + "': store '" + p.store + "' (only etcd)");
    for (const auto& t : p.targets) BERTH_RETURN_IF_ERROR(target(t));
  }
  for (const auto& step : s.timeline)
    if (step.condition && step.condition->kind == Condition::Kind::kHttp)
      BERTH_RETURN_IF_ERROR(target(step.condition->target));
  return plan;
}

Result<provisioners::EngineClient> LabEngine::Client(const machine::MachineConfig& m) {
  BERTH_ASSIGN_OR_RETURN(provisioners::ClientCerts certs, provisioners::EnsureClientCerts(store_));
  return provisioners::EngineClient::ForMachine(m, certs);
}

Status LabEngine::Seed(const std::string& image,
                       const std::vector<machine::MachineConfig>& machines) {
  BERTH_ASSIGN_OR_RETURN(std::string archive, provisioners::EnsureImageArchive(image, cache_dir_));
  std::vector<Status> loaded(machines.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < machines.size(); ++i)
    threads.emplace_back([&, i] {
      auto client = Client(machines[i]);
      loaded[i] = client.ok() ? client->LoadImage(archive) : client.status();
      loaded[i] = loaded[i].WithContext("machine '" + machines[i].name + "'");
    });
  for (auto& t : threads) t.join();
  for (const auto& st : loaded) BERTH_RETURN_IF_ERROR(st);
  return Status::Ok();
}

Status LabEngine::Run(const ContainerSpec& c, const machine::MachineConfig& m) {
  provisioners::ContainerCreate create;
  create.name = c.name;
  create.image = c.image;
  create.cmd = c.command;
  for (const auto& [k, v] : c.env) create.env.push_back(k + "=" + v);
  create.hostname = c.machine;
  for (const auto& p : c.ports) {
    BERTH_ASSIGN_OR_RETURN(auto port, ParsePublishedPort(p));
    create.ports.push_back(port);
  }
  create.binds = c.volumes;
  create.binds.push_back(std::string(kLabHostsPath) + ":/etc/hosts:ro");
  create.network = c.network;
  BERTH_ASSIGN_OR_RETURN(provisioners::EngineClient client, Client(m));
  BERTH_RETURN_IF_ERROR(client.CreateContainer(create).status());
  {
    std::lock_guard<std::mutex> lock(mu_);
    wanted_[c.machine][c.name] = true;
  }
  return client.StartContainer(c.name);
}

Status LabEngine::Op(const std::string& machine, const machine::MachineConfig& m,
                     const std::string& container, ContainerOp op) {
  BERTH_ASSIGN_OR_RETURN(provisioners::EngineClient client, Client(m));
  {
    std::lock_guard<std::mutex> lock(mu_);
    wanted_[machine][container] = op == ContainerOp::kStart;
  }
  switch (op) {
    case ContainerOp::kKill:
      return client.KillContainer(container);
    case ContainerOp::kStop:
      return client.StopContainer(container, 10);
    case ContainerOp::kStart:
      return client.StartContainer(container);
  }
  return Internal("unknown container operation");
}

Status LabEngine::AfterBoot(const std::string& machine, const machine::MachineConfig& m) {
  std::vector<std::string> start;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, run] : wanted_[machine])
      if (run) start.push_back(name);
  }
  if (start.empty()) return Status::Ok();
  BERTH_ASSIGN_OR_RETURN(provisioners::EngineClient client, Client(m));
  for (const auto& name : start) BERTH_RETURN_IF_ERROR(client.StartContainer(name));
  return Status::Ok();
}

}  // namespace berth::scenarios
