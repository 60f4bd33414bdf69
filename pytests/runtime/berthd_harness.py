"""The berthd test harness: a berthd on a temp unix socket with a temp state
root (optionally inside its own network namespace), driven by the real
`docker` client. Everything is torn down by PID. A module of its own (not
conftest) so test files can import it without clashing with other suites'
conftest modules."""
import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import socket

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BERTH_BUILD", os.path.join(ROOT, "build"))


def find_berthd():
    for cand in (os.environ.get("BERTHD"), os.path.join(BUILD, "runtime", "berthd"),
                 os.path.join(ROOT, "build-runtime", "runtime", "berthd")):
        if cand and os.access(cand, os.X_OK):
            return cand
    pytest.fail("berthd is not built (set BERTHD or build the berthd target)")


class Engine:
    """A running berthd and a `docker` client pointed at it."""

    def __init__(self, tmp, extra_args=(), netns=True):
        self.tmp = tmp
        self.root = os.path.join(tmp, "root")
        self.exec_root = tempfile.mkdtemp(prefix="bd", dir="/tmp")
        self.sock = os.path.join(self.exec_root, "berthd.sock")
        self.cgroup = "/berth-test-%d-%d" % (os.getpid(), int(time.time() * 1000) % 100000)
        self.log = open(os.path.join(tmp, "berthd.log"), "wb")
        argv = [find_berthd(), "--root", self.root, "--exec-root", self.exec_root,
                "-H", "unix://" + self.sock, "--cgroup-parent", self.cgroup, *extra_args]
        if netns:
            argv = ["unshare", "--net", "--", *argv]
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)
        self.env = dict(os.environ, DOCKER_HOST="unix://" + self.sock,
                        DOCKER_CONFIG=os.path.join(tmp, "docker-config"))
        self.env.pop("DOCKER_TLS_VERIFY", None)
        self.env.pop("DOCKER_CERT_PATH", None)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("berthd exited: " + self.logs())
            if os.path.exists(self.sock) and self.docker("version", check=False).returncode == 0:
                return
            time.sleep(0.05)
        raise RuntimeError("berthd did not answer: " + self.logs())

    def logs(self):
        self.log.flush()
        with open(self.log.name, "rb") as f:
            return f.read().decode(errors="replace")

    def docker(self, *args, check=True, input=None, timeout=60):
        res = subprocess.run(["docker", *args], env=self.env, capture_output=True, text=True,
                             input=input, timeout=timeout)
        if check and res.returncode != 0:
            raise AssertionError("docker %s failed (%d): %s\n%s" % (
                " ".join(args), res.returncode, res.stderr, res.stdout))
        return res

    def out(self, *args, **kw):
        return self.docker(*args, **kw).stdout

    def inspect(self, what):
        return json.loads(self.out("inspect", what))[0]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        for ctl in ("memory", "cpu", "cpuacct", "pids", "cpuset", "blkio", "devices", "freezer",
                    "systemd", ""):
            base = os.path.join("/sys/fs/cgroup", ctl) + self.cgroup
            if os.path.isdir(base):
                for d in sorted((os.path.join(r, x) for r, ds, _ in os.walk(base) for x in ds),
                                key=len, reverse=True):
                    try:
                        os.rmdir(d)
                    except OSError:
                        pass
                try:
                    os.rmdir(base)
                except OSError:
                    pass
        shutil.rmtree(self.exec_root, ignore_errors=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def loaded_engine(tmp, busybox_tar, **kwargs):
    """A berthd (Engine(tmp, **kwargs)) with busybox loaded; stopped and its
    folder removed on exit."""
    e = Engine(tmp, **kwargs)
    try:
        e.docker("load", "-i", busybox_tar)
        yield e
    finally:
        e.stop()
        shutil.rmtree(tmp, ignore_errors=True)
