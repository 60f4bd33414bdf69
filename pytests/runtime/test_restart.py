"""berthd state survives an engine restart: images, tags, volumes with their
data, containers (running ones come back as exited, or running again when
their restart policy says so), and user-defined
networks with their containers' names."""
import shutil

from berthd_harness import Engine


def test_state_survives_engine_restart(tmp_path, busybox_tar):
    tmp = str(tmp_path)
    e = Engine(tmp)
    try:
        e.docker("load", "-i", busybox_tar)
        e.docker("tag", "busybox", "kept:1")
        e.docker("volume", "create", "persist")
        e.docker("run", "--rm", "-v", "persist:/d", "busybox", "sh", "-c", "echo survived > /d/f")
        e.docker("create", "--name", "stopped", "busybox", "true")
        e.docker("run", "-d", "--name", "running", "busybox", "sleep", "60")
        # Restart policies decide what comes back with the engine (as dockerd).
        e.docker("run", "-d", "--name", "always", "--restart", "always", "busybox", "sleep", "600")
        e.docker("run", "-d", "--name", "unless", "--restart", "unless-stopped", "busybox",
                 "sleep", "600")
        e.docker("run", "-d", "--name", "unless-stopped-by-user", "--restart", "unless-stopped",
                 "busybox", "sleep", "600")
        e.docker("stop", "-t", "1", "unless-stopped-by-user")
        e.docker("network", "create", "--subnet", "10.62.0.0/24", "kept-net")
        e.docker("run", "-d", "--name", "on-net", "--network", "kept-net", "--network-alias",
                 "svc", "busybox", "sleep", "60")
        image_id = e.inspect("kept:1")["Id"]
    finally:
        e.stop()
    e = Engine(tmp)  # same state root
    try:
        assert e.inspect("kept:1")["Id"] == image_id
        assert e.out("run", "--rm", "-v", "persist:/d", "busybox", "cat", "/d/f") == "survived\n"
        assert e.inspect("stopped")["State"]["Status"] == "created"
        state = e.inspect("running")["State"]
        assert state["Status"] == "exited" and not state["Running"]
        assert e.inspect("always")["State"]["Running"]
        assert e.inspect("unless")["State"]["Running"]
        assert not e.inspect("unless-stopped-by-user")["State"]["Running"]
        assert e.out("exec", "always", "echo", "back") == "back\n"
        e.docker("start", "running")
        assert e.inspect("running")["State"]["Running"]
        assert e.inspect("kept-net")["IPAM"]["Config"][0]["Subnet"] == "10.62.0.0/24"
        e.docker("start", "on-net")  # the bridge is made again in the new namespace
        out = e.out("run", "--rm", "--network", "kept-net", "busybox", "ping", "-c1", "-W2", "svc")
        assert "PING svc (10.62.0.2)" in out and "1 packets received" in out
        e.docker("rm", "-f", "running", "stopped", "on-net", "always", "unless",
                 "unless-stopped-by-user")
        e.docker("network", "rm", "kept-net")
    finally:
        e.stop()
        shutil.rmtree(tmp, ignore_errors=True)
