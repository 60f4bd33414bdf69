"""`berth net` against a real berth-fabric process, no machines booted: the
"machines" are UDP sockets on 127.0.0.1 that send synthetic Ethernet frames."""

import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from berthlab import berth_binary, wait_until


class Net:
    def __init__(self):
        self.home = tempfile.mkdtemp(prefix="berth-netcli-", dir="/tmp")
        self.dir = Path(self.home) / "networks" / "default"
        self.dir.mkdir(parents=True)
        (self.dir / "state.json").write_text('{"version": 1}\n')
        self.env = dict(os.environ, BERTH_HOME=self.home)
        self.socks = {}

    def run(self, *args, check=True):
        p = subprocess.run([berth_binary(), "net", *args], env=self.env, capture_output=True,
                           text=True, timeout=60)
        if check:
            assert p.returncode == 0, f"berth net {args}: {p.stdout}{p.stderr}"
        return p

    def control(self, request):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(10)
        s.connect(str(self.dir / "control.sock"))
        s.sendall((json.dumps(request) + "\n").encode())
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        return json.loads(data)

    def add_machine(self, name, mac_last):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.settimeout(1)
        mac = bytes([0x52, 0x54, 0, 0, 0, mac_last])
        self.socks[name] = (s, mac)
        reply = self.control({"op": "attach", "machine": name, "host": "127.0.0.1",
                              "port": s.getsockname()[1], "mac": mac.hex(":"),
                              "address": f"10.77.0.{mac_last}"})
        assert reply["ok"], reply

    def send(self, src, dst):
        s, smac = self.socks[src]
        frame = self.socks[dst][1] + smac + struct.pack("!H", 0x88b5) + bytes(50)
        port = self.state()["port"]
        s.sendto(frame, ("127.0.0.1", port))

    def received(self, name):
        try:
            self.socks[name][0].recv(65536)
            return True
        except socket.timeout:
            return False

    def state(self):
        return json.loads((self.dir / "state.json").read_text())

    def pid(self):
        return json.loads((self.dir / "fabric.pid").read_text())["pid"]

    def close(self):
        try:
            os.kill(self.pid(), signal.SIGTERM)
        except (OSError, ValueError):
            pass
        shutil.rmtree(self.home, ignore_errors=True)


@pytest.fixture
def net():
    n = Net()
    try:
        n.run("stats")  # starts the fabric from its state file
        for i, name in enumerate(["m1", "m2", "m3"]):
            n.add_machine(name, 11 + i)
        yield n
    finally:
        n.close()


def test_listings_in_json_and_table(net):
    net.run("impair", "m1", "--to", "m2", "--delay", "50ms", "--jitter", "5ms", "--loss", "1%",
            "--rate", "10mbit")
    ls = json.loads(net.run("ls", "--format", "json").stdout)
    assert ls == [{"name": "default", "running": True, "subnet": "10.77.0.0/24",
                   "host": "127.0.0.1", "port": net.state()["port"], "machines": 3,
                   "impairments": 1, "partitioned": False}]
    show = json.loads(net.run("show", "--format", "json").stdout)
    assert show["impairments"] == [{"from": "m1", "to": "m2", "impairment": {
        "delay": "50ms", "jitter": "5ms", "distribution": "uniform", "loss": "1%",
        "rate": "10mbit"}}]
    table = net.run("show").stdout
    assert re.search(r"m1 +m2 +delay=50ms", table), table
    stats = json.loads(net.run("stats", "--format", "json").stdout)
    assert {(l["from"], l["to"]) for l in stats["links"]} == {
        (a, b) for a in ("m1", "m2", "m3") for b in ("m1", "m2", "m3") if a != b}
    assert "FROM" in net.run("stats").stdout


def test_bad_input_is_refused_and_changes_nothing(net):
    net.run("impair", "m1", "--to", "m2", "--delay", "5ms")
    net.run("partition", "isolate", "m3")
    before = (net.dir / "state.json").read_text()
    for args, words in [
        (("impair", "m1", "--to", "m2", "--delay", "50"), "unit"),
        (("impair", "ghost", "--delay", "5ms"), "ghost"),
        (("impair", "m1", "--loss", "150%"), "100%"),
        (("impair", "m1", "--reorder", "10%"), "needs a delay"),
        (("impair", "m1"), "at least one impairment"),
        (("partition", "isolate", "m9"), "m9"),
        (("partition", "bridge", "--nodes", "m1,m2"), "at least 3"),
        (("partition", "groups", "--group", "m1", "--group", "m1,m2"), "two groups"),
        (("partition", "grudge", "--drop", "m1:m1"), "itself"),
        (("partition", "pentagon"), "unknown shape"),
        (("clear", "ghost"), "ghost"),
        (("show", "nosuchnet"), "does not exist"),
    ]:
        p = net.run(*args, check=False)
        assert p.returncode != 0, args
        assert words in p.stderr, (args, p.stderr)
    assert (net.dir / "state.json").read_text() == before


def test_partition_and_heal_act_on_frames(net):
    net.run("partition", "grudge", "--drop", "m2:m1")
    net.send("m1", "m2")
    assert not net.received("m2")
    net.send("m2", "m1")
    assert net.received("m1")
    net.run("heal")
    net.send("m1", "m2")
    assert net.received("m2")


def test_capture_is_readable_by_tshark(net, tmp_path):
    pcap = tmp_path / "m1.pcap"
    out = net.run("capture", "start", "-m", "m1", "-w", str(pcap)).stdout
    assert "capture 1" in out
    net.send("m1", "m2")
    net.send("m3", "m1")
    assert net.received("m2") and net.received("m1")
    assert "2 frames" in net.run("capture", "stop").stdout
    fields = subprocess.run(["tshark", "-r", str(pcap), "-T", "fields", "-e", "eth.src"],
                            capture_output=True, text=True, timeout=120, check=True).stdout
    assert fields.split() == ["52:54:00:00:00:0b", "52:54:00:00:00:0d"]


def test_sigterm_stops_the_fabric_cleanly_and_a_verb_restarts_it(net):
    pid, port = net.pid(), net.state()["port"]
    os.kill(pid, signal.SIGTERM)
    wait_until(lambda: not (net.dir / "fabric.pid").exists(), timeout=10,
               what="berth-fabric to exit")
    assert not (net.dir / "control.sock").exists()
    assert "stopped" in net.run("ls").stdout
    net.run("heal")  # any verb that needs the fabric starts it again
    assert net.pid() != pid and net.state()["port"] == port
    net.send("m1", "m3")
    assert net.received("m3")
