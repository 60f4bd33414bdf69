"""docker push / pull through berthd against Debian's docker-registry on a
127.0.0.1 port (the OCI distribution API over libcurl)."""
import os
import shutil
import signal
import subprocess
import time
import urllib.request

import pytest

from berthd_harness import free_port, loaded_engine


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("registry"))
    port = free_port()
    with open(os.path.join(d, "config.yml"), "w") as f:
        f.write("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
                "    rootdirectory: %s/data\nhttp:\n  addr: 127.0.0.1:%d\n" % (d, port))
    proc = subprocess.Popen(["docker-registry", "serve", os.path.join(d, "config.yml")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    addr = "127.0.0.1:%d" % port
    deadline = time.time() + 15
    while True:
        try:
            urllib.request.urlopen("http://%s/v2/" % addr, timeout=1)
            break
        except OSError:
            if time.time() > deadline:
                proc.kill()
                pytest.fail("docker-registry did not start")
            time.sleep(0.1)
    try:
        yield addr
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def reg_engine(tmp_path_factory, busybox_tar, registry):
    tmp = str(tmp_path_factory.mktemp("berthd-reg"))
    # Host network namespace: the registry listens on the host's loopback.
    with loaded_engine(tmp, busybox_tar, extra_args=["--default-registry", registry],
                       netns=False) as e:
        yield e


def test_push_then_pull_round_trip(reg_engine, registry):
    e = reg_engine
    ref = registry + "/lab/busybox:1"
    e.docker("tag", "busybox", ref)
    out = e.out("push", ref)
    assert "Pushed" in out
    with urllib.request.urlopen("http://%s/v2/lab/busybox/tags/list" % registry) as r:
        assert b'"1"' in r.read()
    e.docker("rmi", ref)
    assert e.docker("inspect", ref, check=False).returncode != 0
    out = e.out("pull", ref)
    assert "Downloaded newer image" in out
    assert e.inspect(ref)["Id"] == e.inspect("busybox")["Id"]
    assert e.out("run", "--rm", ref, "echo", "pulled") == "pulled\n"


def test_hub_names_use_the_default_registry(reg_engine, registry):
    e = reg_engine
    e.docker("tag", "busybox", registry + "/seeded:latest")
    e.docker("push", registry + "/seeded:latest")
    e.out("pull", "seeded")
    assert e.inspect("seeded")["Id"] == e.inspect("busybox")["Id"]


def test_missing_image_fails_clearly(reg_engine, registry):
    res = reg_engine.docker("pull", registry + "/nothere", check=False)
    assert res.returncode != 0
    assert "not found" in res.stderr
