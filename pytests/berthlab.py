"""A Lab: one isolated $BERTH_HOME and the `berth` CLI driving it.

Firecracker's `Microvm` idea for berth's end-to-end tests: each Lab gets its
own state folder under /tmp (machines, keys, fabric networks), shares the
guest-image cache, and removes every machine and fabric process it made when
closed, so a failed test leaves nothing running.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def berth_binary():
    build = Path(os.environ.get("BERTH_BUILD", ROOT / "build"))
    path = build / "cli" / "berth"
    if not path.exists():
        raise RuntimeError(f"{path} is missing: build berth first (scripts/test does)")
    return str(path)


class Lab:
    def __init__(self, prefix="lab"):
        self.home = tempfile.mkdtemp(prefix=f"berth-{prefix}-", dir="/tmp")
        self.env = dict(os.environ)
        self.env["BERTH_HOME"] = self.home
        # Every lab shares one guest-image cache: building it once is enough.
        self.env.setdefault("BERTH_CACHE", os.path.expanduser("~/.berth/cache"))
        self.bin = berth_binary()

    def run(self, *args, check=True, timeout=600, input=None):
        """Runs `berth ARGS...`; returns the CompletedProcess (text)."""
        p = subprocess.run([self.bin, *args], env=self.env, capture_output=True, text=True,
                           timeout=timeout, input=input)
        if check and p.returncode != 0:
            raise AssertionError(
                f"berth {' '.join(args)} exited {p.returncode}\nstdout:\n{p.stdout}\n"
                f"stderr:\n{p.stderr}")
        return p

    def ls(self):
        return {m["name"]: m for m in json.loads(self.run("machine", "ls", "--format", "json").stdout)}

    def inspect(self, name):
        return json.loads(self.run("machine", "inspect", name).stdout)

    def ssh(self, name, command, check=True, timeout=120):
        return self.run("machine", "ssh", name, "--", command, check=check, timeout=timeout)

    def create(self, *names, extra=()):
        return self.run("machine", "create", *names, *extra, timeout=900)

    def machine_dir(self, name):
        return Path(self.home) / "machines" / name

    def close(self):
        """Removes every machine and stops every fabric and the registry of this lab."""
        try:
            names = [m["name"] for m in json.loads(
                self.run("machine", "ls", "--format", "json", check=False).stdout or "[]")]
        except (json.JSONDecodeError, subprocess.TimeoutExpired):
            names = os.listdir(Path(self.home) / "machines") if (Path(self.home) / "machines").exists() else []
        if names:
            self.run("machine", "rm", "-f", *names, check=False, timeout=300)
        if (Path(self.home) / "registry" / "registry.pid").exists():
            self.run("registry", "stop", check=False, timeout=60)
        for pidfile in Path(self.home).glob("networks/*/*.pid"):
            try:
                pid = int(json.loads(pidfile.read_text())["pid"])
                os.kill(pid, 15)
            except (ValueError, KeyError, TypeError, ProcessLookupError, PermissionError):
                pass
        shutil.rmtree(self.home, ignore_errors=True)


def wait_until(predicate, timeout, interval=0.2, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def virsh(*args):
    return subprocess.run(["virsh", "-c", "qemu:///system", *args], capture_output=True,
                          text=True, timeout=60)


def qemu_pids_for(domain):
    """PIDs of QEMU processes whose command line names `domain` (guest=NAME)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmd and cmd[0].endswith(b"qemu-system-x86_64") and any(
                a.startswith(b"guest=" + domain.encode() + b",") for a in cmd):
            pids.append(int(proc.name))
    return pids


def tcp_listening(port, host="127.0.0.1"):
    import socket
    s = socket.socket()
    s.settimeout(1)
    try:
        s.connect((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()
