"""User-defined bridge networks and the embedded DNS, end to end through the
real docker client. berthd runs in the test's own network namespace (see
berthd_harness.py): its bridges and veths never appear on the host."""
import json
import subprocess
import time

import pytest

# The client retries until the server's httpd listens (it starts in parallel).
# (busybox-static 1.35 wget crashes with -T, so no timeout flag.)
WGET_RETRY = "(for i in $(seq 50); do wget -qO- http://%s/ && exit 0; sleep 0.1; done; exit 1)"


@pytest.fixture
def net(engine):
    """A fresh user network 'n1'; removed with every container on it."""
    engine.docker("network", "create", "n1")
    yield "n1"
    for cid in engine.out("ps", "-aq").split():
        engine.docker("rm", "-f", cid, check=False)
    engine.docker("network", "rm", "n1", check=False)


def run_web(engine, name, network, *extra):
    engine.docker("run", "-d", "--name", name, "--network", network, *extra, "busybox", "sh", "-c",
                  "echo from-%s > /tmp/index.html; exec httpd -f -p 80 -h /tmp" % name)


def test_create_ls_inspect(engine, net):
    assert "n1" in engine.out("network", "ls", "--format", "{{.Name}}").split()
    info = json.loads(engine.out("network", "inspect", net))[0]
    assert info["Driver"] == "bridge" and info["Name"] == "n1"
    subnet = info["IPAM"]["Config"][0]["Subnet"]
    assert subnet.endswith("/16") and info["IPAM"]["Config"][0]["Gateway"].endswith(".0.1")
    # by id prefix too
    assert engine.inspect(info["Id"][:12])["Name"] == "n1"
    # the network rule: the bridge lives in berthd's namespace, not the host's
    host_links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert "br-" + info["Id"][:12] not in host_links
    ns = ["nsenter", "-t", str(engine.proc.pid), "-n"]
    ns_links = subprocess.run(ns + ["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert "br-" + info["Id"][:12] in ns_links


def test_containers_reach_each_other_by_name_and_alias(engine, net):
    run_web(engine, "web", net, "--network-alias", "www")
    ip = engine.inspect("web")["NetworkSettings"]["Networks"]["n1"]["IPAddress"]
    assert ip.startswith("172.")
    out = engine.out("run", "--rm", "--network", net, "busybox", "sh", "-c",
                     (WGET_RETRY % "web") + " && " + (WGET_RETRY % "www"))
    assert out == "from-web\nfrom-web\n"
    out = engine.out("run", "--rm", "--network", net, "busybox", "ping", "-c1", "-W2", "web")
    assert "PING web (%s)" % ip in out and "1 packets received" in out
    # the network lists its live endpoint
    containers = json.loads(engine.out("network", "inspect", net))[0]["Containers"]
    assert [c["Name"] for c in containers.values()] == ["web"]
    assert list(containers.values())[0]["IPv4Address"].startswith(ip + "/")


def test_names_are_scoped_and_others_refused(engine, net):
    run_web(engine, "web", net)
    engine.docker("network", "create", "--subnet", "10.61.0.0/24", "n2")
    try:
        res = engine.docker("run", "--rm", "--network", "n2", "busybox", "nslookup", "web",
                            check=False)
        assert res.returncode != 0 and "NXDOMAIN" in res.stdout + res.stderr
        res = engine.docker("run", "--rm", "--network", "n2", "busybox", "nslookup",
                            "example.com", check=False)
        assert res.returncode != 0 and "REFUSED" in res.stdout + res.stderr
        out = engine.out("run", "--rm", "--network", "n2", "--ip", "10.61.0.77", "busybox",
                         "ip", "-o", "-4", "addr", "show", "eth0")
        assert "10.61.0.77/24" in out
    finally:
        engine.docker("network", "rm", "n2")


def test_connect_and_disconnect(engine, net):
    run_web(engine, "web", net, "--network-alias", "www")
    # a container on the default bridge, connected later with an alias
    engine.docker("run", "-d", "--name", "cli", "busybox", "sleep", "60")
    engine.docker("network", "connect", "--alias", "client", net, "cli")
    out = engine.out("exec", "cli", "sh", "-c", WGET_RETRY % "www")
    assert out == "from-web\n"
    out = engine.out("exec", "web", "nslookup", "client")
    assert engine.inspect("cli")["NetworkSettings"]["Networks"]["n1"]["IPAddress"] in out
    res = engine.docker("network", "connect", net, "cli", check=False)
    assert res.returncode != 0 and "already exists in network n1" in res.stderr
    engine.docker("network", "disconnect", net, "cli")
    res = engine.docker("exec", "cli", "ping", "-c1", "-W1", "web", check=False)
    assert res.returncode != 0 and "bad address 'web'" in res.stderr
    res = engine.docker("exec", "web", "nslookup", "client", check=False)
    assert res.returncode != 0 and "NXDOMAIN" in res.stdout + res.stderr
    assert "n1" not in engine.inspect("cli")["NetworkSettings"]["Networks"]
    res = engine.docker("network", "disconnect", net, "cli", check=False)
    assert res.returncode != 0 and "is not connected to network n1" in res.stderr


def test_published_port_on_user_network(engine, net):
    ns = ["nsenter", "-t", str(engine.proc.pid), "-n"]
    subprocess.run(ns + ["ip", "link", "set", "lo", "up"], check=True)
    run_web(engine, "pub", net, "-p", "18090:80")
    deadline = time.time() + 10
    while True:
        res = subprocess.run(ns + ["wget", "-qO-", "-T", "2", "http://127.0.0.1:18090/"],
                             capture_output=True, text=True)
        if res.returncode == 0 or time.time() > deadline:
            break
        time.sleep(0.1)
    assert res.stdout == "from-pub\n"


def test_bad_requests_are_clear(engine, net):
    res = engine.docker("network", "create", net, check=False)
    assert res.returncode != 0 and "network with name n1 already exists" in res.stderr
    res = engine.docker("run", "--rm", "--network", "nosuch", "busybox", "true", check=False)
    assert res.returncode == 125 and "network nosuch not found" in res.stderr
    res = engine.docker("network", "inspect", "nosuch", check=False)
    assert res.returncode != 0 and "nosuch" in res.stderr
    res = engine.docker("network", "rm", "nosuch", check=False)
    assert res.returncode != 0 and "network nosuch not found" in res.stderr
    res = engine.docker("network", "rm", "bridge", check=False)
    assert res.returncode != 0 and "pre-defined network" in res.stderr
    res = engine.docker("network", "create", "--driver", "overlay", "ov", check=False)
    assert res.returncode != 0 and "berthd does not support network driver" in res.stderr
    subnet = engine.inspect(net)["IPAM"]["Config"][0]["Subnet"]
    res = engine.docker("network", "create", "--subnet", subnet, "dup", check=False)
    assert res.returncode != 0 and "overlaps" in res.stderr
    # in use: refused while a container runs on it, then allowed
    run_web(engine, "busy", net)
    res = engine.docker("network", "rm", net, check=False)
    assert res.returncode != 0 and "has active endpoints" in res.stderr and "busy" in res.stderr
    engine.docker("rm", "-f", "busy")
    engine.docker("network", "rm", net)
    assert net not in engine.out("network", "ls", "--format", "{{.Name}}").split()


def test_prune_removes_unused_networks_only(engine, net):
    engine.docker("network", "create", "idle")
    run_web(engine, "keeper", net)
    out = engine.out("network", "prune", "-f")
    assert "idle" in out and "n1" not in out
    names = engine.out("network", "ls", "--format", "{{.Name}}").split()
    assert "idle" not in names and "n1" in names and "bridge" in names
