"""berthd state survives an engine restart: images, tags, volumes with their
data, and containers (running ones come back as exited)."""
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
        e.docker("start", "running")
        assert e.inspect("running")["State"]["Running"]
        e.docker("rm", "-f", "running", "stopped")
    finally:
        e.stop()
        shutil.rmtree(tmp, ignore_errors=True)
