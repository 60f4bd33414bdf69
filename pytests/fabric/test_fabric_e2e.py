"""End to end: three real machines on the fabric, steered with `berth net`.

Boots three machines once for the module (TCG: this is the slow part), then
checks that delay, a one-way partition, heal and capture act on real guest
traffic over the lab addresses (10.77.0.x).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import time

import pytest

from berthlab import Lab, wait_until

NAMES = ["fab1", "fab2", "fab3"]


@pytest.fixture(scope="module")
def net():
    lab = Lab("fabric")
    try:
        lab.create(*NAMES, extra=("--no-engine",))  # the network needs no engine
        lab.addr = {n: m["lab"]["address"] for n, m in lab.ls().items()}
        # Warm the ARP caches so later checks measure IP traffic only.
        for a in NAMES:
            for b in NAMES:
                if a != b:
                    lab.ssh(a, f"ping -c 1 -W 5 {lab.addr[b]}", check=False)
        yield lab
    finally:
        lab.close()


def ping(lab, src, dst, count=5, wait=2):
    """Pings dst's lab address from src; returns (received, avg_rtt_ms or None)."""
    p = lab.ssh(src, f"ping -c {count} -W {wait} -i 0.2 {lab.addr[dst]}", check=False,
                timeout=60 + count * wait)
    received = re.search(r"(\d+) packets received", p.stdout)
    rtt = re.search(r"min/avg/max = [\d.]+/([\d.]+)/", p.stdout)
    return (int(received.group(1)) if received else 0, float(rtt.group(1)) if rtt else None)


def link_stats(lab, src, dst):
    stats = json.loads(lab.run("net", "stats", "--format", "json").stdout)
    for link in stats["links"]:
        if link["from"] == src and link["to"] == dst:
            return link
    raise AssertionError(f"no link {src}->{dst} in {stats}")


def test_machines_are_attached_with_their_lab_addresses(net):
    show = json.loads(net.run("net", "show", "--format", "json").stdout)
    assert show["running"]
    assert sorted(show["machines"]) == NAMES
    for n in NAMES:
        assert show["machines"][n]["address"] == net.addr[n]
        assert net.addr[n].startswith("10.77.0.")
    received, _ = ping(net, "fab1", "fab3", count=3)
    assert received == 3


def test_ping_rtt_follows_configured_delay(net):
    _, base = ping(net, "fab1", "fab2")
    assert base is not None
    net.run("net", "impair", "fab1", "--to", "fab2", "--delay", "150ms")
    try:
        received, rtt = ping(net, "fab1", "fab2")
        assert received == 5
        # One direction delayed by 150 ms: the round trip grows by 150 ms.
        assert 145 <= rtt - base <= 210, (base, rtt)
        assert link_stats(net, "fab1", "fab2")["delayed"] >= 5
        # Other links are untouched.
        _, other = ping(net, "fab1", "fab3")
        assert other < 100, other
    finally:
        net.run("net", "clear")


def test_partition_drops_only_the_grudged_direction_and_heals_fast(net):
    # fab2 drops frames from fab1; fab1 still hears fab2.
    net.run("net", "partition", "grudge", "--drop", "fab2:fab1")
    try:
        before_12 = link_stats(net, "fab1", "fab2")
        before_21 = link_stats(net, "fab2", "fab1")
        received, _ = ping(net, "fab2", "fab1", count=3, wait=1)
        assert received == 0  # the replies fab1 -> fab2 are dropped
        after_12 = link_stats(net, "fab1", "fab2")
        after_21 = link_stats(net, "fab2", "fab1")
        # fab2's requests reached fab1; fab1's replies were dropped by the grudge.
        assert after_21["frames"] - before_21["frames"] >= 3
        assert after_21["dropped"]["partition"] == before_21["dropped"]["partition"]
        assert after_12["dropped"]["partition"] - before_12["dropped"]["partition"] >= 3
        # Unrelated pairs still talk.
        assert ping(net, "fab1", "fab3", count=2)[0] == 2
    finally:
        net.run("net", "heal")
    start = time.monotonic()
    p = net.ssh("fab1", f"ping -c 1 -W 1 {net.addr['fab2']}", check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    # The first ping after heal answered within its 1 s wait.
    assert "1 packets received" in p.stdout
    assert time.monotonic() - start < 30  # ssh round trip under TCG included


def test_capture_shows_icmp_in_tshark(net, tmp_path):
    pcap = tmp_path / "fab1.pcap"
    net.run("net", "capture", "start", "-m", "fab1", "-w", str(pcap))
    try:
        assert ping(net, "fab1", "fab2", count=2)[0] == 2
    finally:
        net.run("net", "capture", "stop")
    tshark = shutil.which("tshark")
    assert tshark, "tshark is not installed"
    out = subprocess.run([tshark, "-r", str(pcap), "-Y", "icmp", "-T", "fields", "-e", "ip.src",
                          "-e", "ip.dst", "-e", "icmp.type"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    rows = {tuple(line.split("\t")) for line in out.splitlines()}
    a1, a2 = net.addr["fab1"], net.addr["fab2"]
    assert (a1, a2, "8") in rows, out  # echo request
    assert (a2, a1, "0") in rows, out  # echo reply


def test_ipv6_neighbour_discovery_crosses_the_fabric(net):
    # IPv6 link-local: neighbour discovery is multicast, flooded by the switch.
    out = net.ssh("fab2", "ip -6 addr show dev lab0").stdout
    m = re.search(r"inet6 (fe80::[0-9a-f:]+)/64", out)
    assert m, out
    p = net.ssh("fab1", f"ping -6 -c 2 -W 2 {m.group(1)}%lab0", check=False)
    assert "2 packets received" in p.stdout, p.stdout + p.stderr


def test_vxlan_between_machines_crosses_the_fabric(net, tmp_path):
    # A VXLAN tunnel over lab0, on its own subnet: the fabric carries the
    # encapsulated frames as UDP to port 4789. /usr/sbin/ip is iproute2's
    # (busybox sh runs its own `ip` applet for a bare `ip`, without vxlan).
    inner = {"fab1": "10.78.0.1", "fab3": "10.78.0.3"}
    pcap = tmp_path / "vxlan.pcap"
    try:
        for m, peer in (("fab1", "fab3"), ("fab3", "fab1")):
            net.ssh(m, f"/usr/sbin/ip link add vx0 type vxlan id 42 remote {net.addr[peer]} "
                       f"dstport 4789 dev lab0 && ip addr add {inner[m]}/24 dev vx0 && "
                       "ip link set vx0 up")
        before = link_stats(net, "fab1", "fab3")["frames"]
        net.run("net", "capture", "start", "-m", "fab3", "-w", str(pcap))
        try:
            p = net.ssh("fab1", f"ping -c 3 -W 5 -i 0.2 {inner['fab3']}", check=False, timeout=90)
        finally:
            net.run("net", "capture", "stop")
        assert "3 packets received" in p.stdout, p.stdout + p.stderr
        assert link_stats(net, "fab1", "fab3")["frames"] - before >= 3
    finally:
        for m in inner:
            net.ssh(m, "/usr/sbin/ip link del vx0", check=False)
    out = subprocess.run(["tshark", "-r", str(pcap), "-Y", "vxlan && icmp", "-T", "fields",
                          "-e", "udp.dstport", "-e", "vxlan.vni", "-e", "ip.src", "-e", "ip.dst",
                          "-e", "icmp.type"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    # ip.src/ip.dst list the outer (lab) then the inner (tunnel) addresses.
    rows = {tuple(line.split("\t")) for line in out.splitlines()}
    a1, a3 = net.addr["fab1"], net.addr["fab3"]
    request = ("4789", "42", f"{a1},{inner['fab1']}", f"{a3},{inner['fab3']}", "8")
    reply = ("4789", "42", f"{a3},{inner['fab3']}", f"{a1},{inner['fab1']}", "0")
    assert request in rows and reply in rows, out


def test_links_survive_a_killed_fabric_without_rebooting_machines(net):
    pidfile = f"{net.home}/networks/default/fabric.pid"
    with open(pidfile) as f:
        old = json.load(f)["pid"]
    os.kill(old, signal.SIGKILL)
    wait_until(lambda: not os.path.exists(f"/proc/{old}") or
               open(f"/proc/{old}/stat").read().split(")")[1].split()[0] == "Z",
               timeout=10, what="the fabric to die")
    assert ping(net, "fab1", "fab2", count=2, wait=1)[0] == 0
    # Any `berth net` verb that needs the fabric starts it again from its state.
    net.run("net", "stats")
    with open(pidfile) as f:
        assert json.load(f)["pid"] != old
    assert ping(net, "fab1", "fab2", count=3)[0] == 3
    assert ping(net, "fab3", "fab1", count=3)[0] == 3
