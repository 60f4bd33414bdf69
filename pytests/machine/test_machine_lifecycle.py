"""End to end: real machines through libvirt, driven by the `berth` CLI."""

import json
import os
import signal
import socket
import subprocess
import time

import pytest

from berthlab import Lab, qemu_pids_for, tcp_listening, virsh, wait_until

NAMES = ["m1", "m2", "m3"]


@pytest.fixture(scope="module")
def trio():
    lab = Lab("trio")
    start = time.monotonic()
    lab.create(*NAMES)
    lab.create_seconds = time.monotonic() - start
    yield lab
    lab.close()


def test_three_machines_boot_in_parallel_with_distinct_identity(trio):
    machines = trio.ls()
    assert sorted(machines) == NAMES
    ports, addrs = set(), set()
    for name in NAMES:
        m = machines[name]
        assert m["state"] == "Running", m
        assert m["phase"] == "ready"
        ports |= {m["ssh_port"], m["engine_port"], m["lab"]["local_port"]}
        addrs.add(m["lab"]["address"])
        out = trio.ssh(name, "hostname; ip -4 -o addr show; mount").stdout
        assert out.splitlines()[0] == name
        assert m["lab"]["address"] + "/24" in out, out
        assert "/dev/vda on /var/lib/berth type ext4" in out
        # berth's domains are recognisable in virsh.
        dom = virsh("dumpxml", "berth-" + name).stdout
        assert "<berth:machine" in dom and "restrict=on" in dom
        assert "type='network'" not in dom and "type='bridge'" not in dom
    assert len(ports) == 9 and len(addrs) == 3
    # Outside the kernel's ephemeral range, where any outgoing connection
    # could take a port a stopped machine needs again.
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low, high = map(int, f.read().split())
    assert all(not low <= p <= high for p in ports), ports


def test_lab_network_connects_machines(trio):
    addr2 = trio.ls()["m2"]["lab"]["address"]
    out = trio.ssh("m1", f"ping -c 3 -W 2 {addr2}", check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "3 packets received" in out.stdout


def test_stop_start_keeps_address_ports_host_key_and_data(trio):
    before = trio.inspect("m2")
    known_hosts = (trio.machine_dir("m2") / "known_hosts").read_text()
    trio.ssh("m2", "echo kept > /var/lib/berth/marker && sync")
    trio.run("machine", "stop", "m2")
    assert trio.inspect("m2")["state"] == "Stopped"
    assert not qemu_pids_for("berth-m2")
    assert not tcp_listening(before["ssh_port"])
    # A port taken while the machine was stopped: a clear error, nothing started.
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("127.0.0.1", before["ssh_port"]))
    holder.listen(1)
    try:
        r = trio.run("machine", "start", "m2", check=False)
    finally:
        holder.close()
    assert r.returncode != 0
    assert f"host port 127.0.0.1:{before['ssh_port']} (SSH of machine 'm2') is in use" in r.stderr, r.stderr
    assert trio.inspect("m2")["state"] == "Stopped"
    trio.run("machine", "start", "m2")
    after = trio.inspect("m2")
    for key in ("ssh_port", "engine_port", "lab", "mgmt_mac", "uuid"):
        assert after[key] == before[key], key
    assert (trio.machine_dir("m2") / "known_hosts").read_text() == known_hosts
    # StrictHostKeyChecking=yes against the pinned key still lets us in.
    assert trio.ssh("m2", "cat /var/lib/berth/marker").stdout.strip() == "kept"


def test_kill_and_restart(trio):
    trio.run("machine", "kill", "m3")
    assert trio.run("machine", "status", "m3").stdout.strip() == "Stopped"
    trio.run("machine", "restart", "m3")
    assert trio.run("machine", "status", "m3").stdout.strip() == "Running"
    assert trio.ssh("m3", "hostname").stdout.strip() == "m3"


def test_scp_both_ways(trio, tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("hello berth\n")
    trio.run("machine", "scp", str(src), "m1:/tmp/in.txt")
    trio.run("machine", "scp", "m1:/tmp/in.txt", str(tmp_path / "out.txt"))
    assert (tmp_path / "out.txt").read_text() == "hello berth\n"


def test_domain_removed_behind_berths_back_shows_missing(trio):
    virsh("destroy", "berth-m1")
    virsh("undefine", "berth-m1")
    m = trio.ls()["m1"]
    assert m["state"] == "Missing"
    assert "berth machine start m1" in m["error"]
    trio.run("machine", "start", "m1")
    assert trio.ls()["m1"]["state"] == "Running"


def test_ls_filter_and_quiet(trio):
    trio.run("machine", "stop", "m3")
    out = trio.run("machine", "ls", "-q", "--filter", "state=Running").stdout.split()
    assert sorted(out) == ["m1", "m2"]
    out = trio.run("machine", "ls", "-q", "--filter", "name=m3").stdout.split()
    assert out == ["m3"]
    bad = trio.run("machine", "ls", "--filter", "colour=red", check=False)
    assert bad.returncode != 0 and "unknown key 'colour'" in bad.stderr


def test_rm_leaves_nothing_behind(trio):
    m = trio.inspect("m2")
    trio.run("machine", "rm", "m2")
    assert "m2" not in trio.ls()
    assert not trio.machine_dir("m2").exists()
    assert virsh("domstate", "berth-m2").returncode != 0
    assert not qemu_pids_for("berth-m2")
    assert not tcp_listening(m["ssh_port"]) and not tcp_listening(m["engine_port"])


def test_interrupted_create_is_removable(lab):
    p = subprocess.Popen([lab.bin, "machine", "create", "cut"], env=lab.env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Kill it once the domain is being defined/booted.
        wait_until(lambda: virsh("domstate", "berth-cut").returncode == 0, 300,
                   what="the domain berth-cut to be defined")
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait()
    assert "cut" in lab.ls()
    lab.run("machine", "rm", "-f", "cut")
    assert not lab.machine_dir("cut").exists()
    assert virsh("domstate", "berth-cut").returncode != 0
    assert not qemu_pids_for("berth-cut")


def test_bad_input_changes_nothing(lab):
    cases = [
        (["machine", "create", "Bad_Name"], "invalid machine name 'Bad_Name'"),
        (["machine", "create", "a", "a"], "given twice"),
        (["machine", "create", "a", "--memory", "10M"], "--memory 10MiB is out of range"),
        (["machine", "create", "a", "--cpus", "0"], "--cpus 0 is out of range"),
        (["machine", "create", "a", "--memory", "lots"], "invalid size 'lots'"),
        (["machine", "stop", "ghost"], "no machine named 'ghost'"),
        (["machine", "ssh", "ghost", "--", "true"], "no machine named 'ghost'"),
        (["--libvirt-uri", "qemu+unix:///system?socket=/nonexistent", "machine", "create", "a"],
         "libvirt"),
    ]
    for args, message in cases:
        p = lab.run(*args, check=False)
        assert p.returncode != 0, args
        assert message in p.stderr, (args, p.stderr)
    assert lab.ls() == {}
    assert not os.path.exists(os.path.join(lab.home, "machines", "a"))


def test_newer_config_is_refused_and_kept(lab):
    d = os.path.join(lab.home, "machines", "future")
    os.makedirs(d)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump({"version": 99, "name": "future"}, f)
    p = lab.run("machine", "inspect", "future", check=False)
    assert "newer berth" in p.stdout + p.stderr
    p = lab.run("machine", "rm", "future", check=False)
    assert p.returncode != 0 and "rm -f future" in p.stderr
    assert json.load(open(os.path.join(d, "config.json")))["version"] == 99


def test_session_uri_works(lab):
    """qemu:///session (what non-root users get by default) boots machines too."""
    uri = ["--libvirt-uri", "qemu:///session"]
    lab.run(*uri, "machine", "create", "sess", "--no-engine", timeout=600)
    assert lab.run(*uri, "machine", "ssh", "sess", "--", "hostname").stdout.strip() == "sess"
    assert lab.run(*uri, "machine", "status", "sess").stdout.strip() == "Running"
    # The machine remembers its URI: later verbs need no flag (as Docker Machine).
    assert lab.run("machine", "status", "sess").stdout.strip() == "Running"
    assert lab.ls()["sess"]["state"] == "Running"
    lab.run("machine", "stop", "sess")
    assert lab.run("machine", "status", "sess").stdout.strip() == "Stopped"
    lab.run("machine", "rm", "sess")
    listed = subprocess.run(["virsh", "-c", "qemu:///session", "list", "--all", "--name"],
                            capture_output=True, text=True, timeout=60).stdout
    assert "berth-sess" not in listed
