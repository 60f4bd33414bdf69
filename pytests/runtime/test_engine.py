"""berthd end to end on this host, through the real docker client."""
import json
import os
import subprocess
import time

import pytest


def test_version_info_and_ping(engine):
    v = json.loads(engine.out("version", "--format", "{{json .Server}}"))
    assert v["Version"] and v["ApiVersion"] >= "1.41"
    info = json.loads(engine.out("info", "--format", "{{json .}}"))
    assert info["Driver"] == "overlay"
    assert info["DefaultRuntime"] == "crun"


def test_images_inspect_tag_rmi(engine):
    assert "busybox" in engine.out("images", "--format", "{{.Repository}}:{{.Tag}}")
    img = engine.inspect("busybox")
    assert img["Id"].startswith("sha256:")
    assert img["Config"]["Cmd"] == ["sh"]
    engine.docker("tag", "busybox", "mybox:v1")
    assert engine.inspect("mybox:v1")["Id"] == img["Id"]
    out = engine.out("rmi", "mybox:v1")
    assert "Untagged: mybox:v1" in out
    assert engine.docker("inspect", "mybox:v1", check=False).returncode != 0
    assert engine.inspect("busybox")["Id"] == img["Id"]  # still there


def test_run_prints_and_propagates_exit_code(engine):
    res = engine.docker("run", "--rm", "busybox", "echo", "hello")
    assert res.stdout == "hello\n"
    res = engine.docker("run", "--rm", "busybox", "sh", "-c", "echo oops >&2; exit 3", check=False)
    assert res.returncode == 3
    assert "oops" in res.stderr
    res = engine.docker("run", "--rm", "busybox", "no-such-binary", check=False)
    assert res.returncode == 127
    assert "executable file not found" in res.stderr
    # --rm removed them all
    assert engine.out("ps", "-aq") == ""


def test_env_user_workdir_limits(engine):
    out = engine.out("run", "--rm", "-e", "GREETING=hi there", "-w", "/tmp", "-u", "nobody",
                     "busybox", "sh", "-c", 'echo "$GREETING"; pwd; id -u')
    assert out.splitlines() == ["hi there", "/tmp", "65534"]
    cid = engine.out("run", "-d", "-m", "64m", "--cpus", "0.5", "busybox", "sleep", "30").strip()
    try:
        v1 = "/sys/fs/cgroup/memory" + engine.cgroup + "/" + cid + "/memory.limit_in_bytes"
        v2 = "/sys/fs/cgroup" + engine.cgroup + "/" + cid + "/memory.max"
        path = v1 if os.path.exists(v1) else v2
        with open(path) as f:
            assert int(f.read()) == 64 << 20
        assert engine.inspect(cid)["HostConfig"]["NanoCpus"] == 500000000
    finally:
        engine.docker("rm", "-f", cid)


def test_readonly_rootfs(engine):
    res = engine.docker("run", "--rm", "--read-only", "busybox", "touch", "/x", check=False)
    assert res.returncode != 0
    assert "Read-only file system" in res.stderr


def test_lifecycle_detached(engine):
    cid = engine.out("run", "-d", "--name", "life", "busybox", "sh", "-c",
                     "trap 'exit 0' TERM; echo started; while true; do echo tick; sleep 0.1; done").strip()
    assert len(cid) == 64
    try:
        time.sleep(0.5)
        ps = engine.out("ps", "--filter", "name=life", "--format", "{{.Names}} {{.Status}}")
        assert ps.startswith("life Up")
        logs = engine.out("logs", "--tail", "2", "life")
        assert logs.splitlines() == ["tick", "tick"]
        assert engine.out("logs", "life").startswith("started\n")
        state = engine.inspect("life")["State"]
        assert state["Running"] and state["Pid"] > 0
        # exec, with exit code
        res = engine.docker("exec", "life", "sh", "-c", "echo in-exec; exit 4", check=False)
        assert res.returncode == 4 and res.stdout == "in-exec\n"
        top = engine.out("top", "life")
        assert "sleep" in top or "sh -c" in top
        stats = engine.out("stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}", "life")
        name, pids = stats.split()
        assert name == "life" and int(pids) >= 1
        engine.docker("stop", "-t", "5", "life")
        assert engine.inspect("life")["State"]["ExitCode"] == 0  # trapped TERM
        assert "life" in engine.out("ps", "-a", "--filter", "status=exited", "--format", "{{.Names}}")
        assert "life" not in engine.out("ps", "--format", "{{.Names}}")
        engine.docker("start", "life")
        assert engine.inspect("life")["State"]["Running"]
        engine.docker("restart", "-t", "1", "life")
        assert engine.inspect("life")["State"]["Running"]
        engine.docker("kill", "life")
        assert engine.out("wait", "life").strip() == "137"
    finally:
        engine.docker("rm", "-f", "life", check=False)
    assert engine.docker("inspect", "life", check=False).returncode != 0


def test_rm_force_and_conflicts(engine):
    engine.docker("run", "-d", "--name", "busy", "busybox", "sleep", "60")
    try:
        res = engine.docker("rm", "busy", check=False)
        assert res.returncode != 0 and "running" in res.stderr
        res = engine.docker("run", "-d", "--name", "busy", "busybox", "true", check=False)
        assert res.returncode != 0 and "already in use" in res.stderr
    finally:
        engine.docker("rm", "-f", "busy")
    assert engine.out("ps", "-aq", "--filter", "name=busy") == ""


def test_create_start_wait(engine):
    engine.docker("create", "--name", "cw", "busybox", "sh", "-c", "echo created; exit 7")
    try:
        assert engine.inspect("cw")["State"]["Status"] == "created"
        engine.docker("start", "cw")
        assert engine.out("wait", "cw").strip() == "7"
        assert engine.out("logs", "cw") == "created\n"
    finally:
        engine.docker("rm", "cw")


def test_logs_follow_ends_with_container(engine):
    engine.docker("run", "-d", "--name", "lf", "busybox", "sh", "-c",
                  "for i in 1 2 3; do echo line$i; sleep 0.2; done")
    try:
        out = engine.out("logs", "-f", "lf", timeout=20)
        assert out.splitlines() == ["line1", "line2", "line3"]
    finally:
        engine.docker("rm", "-f", "lf")


def test_restart_policy(engine):
    engine.docker("run", "-d", "--name", "rp", "--restart", "on-failure:2", "busybox", "sh", "-c",
                  "exit 1")
    try:
        deadline = time.time() + 10
        while time.time() < deadline and engine.inspect("rp")["RestartCount"] < 2:
            time.sleep(0.1)
        assert engine.inspect("rp")["RestartCount"] == 2
    finally:
        engine.docker("rm", "-f", "rp")


def test_stdin_and_tty(engine):
    res = engine.docker("run", "-i", "--rm", "busybox", "sh", input="echo from-stdin\nexit 5\n",
                        check=False)
    assert res.returncode == 5 and res.stdout == "from-stdin\n"
    # -t needs a terminal on the client side: run the client under script(1).
    res = subprocess.run(["script", "-qec", "docker run -it --rm busybox sh -c 'tty; exit 6'",
                          "/dev/null"], env=engine.env, capture_output=True, text=True, timeout=30)
    assert res.returncode == 6
    assert "/dev/pts/0" in res.stdout


def test_exec_tty(engine):
    engine.docker("run", "-d", "--name", "et", "busybox", "sleep", "60")
    try:
        res = subprocess.run(["script", "-qec", "docker exec -it et sh -c 'tty; exit 2'", "/dev/null"],
                             env=engine.env, capture_output=True, text=True, timeout=30)
        assert res.returncode == 2
        assert "/dev/pts/" in res.stdout
    finally:
        engine.docker("rm", "-f", "et")


def test_unsupported_is_named(engine):
    res = engine.docker("run", "--rm", "--privileged", "busybox", "true", check=False)
    assert res.returncode != 0
    assert "berthd does not support HostConfig.Privileged" in res.stderr
    res = engine.docker("swarm", "init", check=False)
    assert res.returncode != 0 and "berthd does not support" in res.stderr


def test_add_host(engine):
    out = engine.out("run", "--rm", "--add-host", "db:10.1.2.3", "--add-host", "v6=fd00::1",
                     "busybox", "sh", "-c", "cat /etc/hosts; ping -c1 -W1 db 2>&1 | head -1")
    assert "10.1.2.3\tdb\n" in out and "fd00::1\tv6\n" in out, out
    assert "PING db (10.1.2.3)" in out, out  # the resolver reads it
    # The client checks addresses itself; host-gateway it passes on.
    res = engine.docker("run", "--rm", "--add-host", "gw:host-gateway", "busybox", "true",
                        check=False)
    assert res.returncode != 0 and "host-gateway" in res.stderr, res.stderr


def test_volumes_survive_and_volumes_from(engine):
    engine.docker("volume", "create", "data1")
    try:
        assert "data1" in engine.out("volume", "ls", "--format", "{{.Name}}")
        assert engine.inspect("data1")["Driver"] == "local"
        engine.docker("run", "--rm", "-v", "data1:/data", "busybox", "sh", "-c", "echo kept > /data/f")
        assert engine.out("run", "--rm", "-v", "data1:/data:ro", "busybox", "cat", "/data/f") == "kept\n"
        engine.docker("create", "--name", "vc", "-v", "data1:/shared", "busybox", "true")
        try:
            out = engine.out("run", "--rm", "--volumes-from", "vc", "busybox", "cat", "/shared/f")
            assert out == "kept\n"
            res = engine.docker("volume", "rm", "data1", check=False)
            assert res.returncode != 0 and "in use" in res.stderr
        finally:
            engine.docker("rm", "vc")
    finally:
        engine.docker("volume", "rm", "data1")
    assert "data1" not in engine.out("volume", "ls", "--format", "{{.Name}}")


def test_save_and_load_round_trip(engine, tmp_path):
    out = str(tmp_path / "saved.tar")
    engine.docker("save", "-o", out, "busybox")
    listing = subprocess.run(["tar", "tf", out], capture_output=True, text=True, check=True).stdout
    assert "manifest.json" in listing and "index.json" in listing
    engine.docker("tag", "busybox", "roundtrip:1")
    engine.docker("save", "-o", out, "roundtrip:1")
    engine.docker("rmi", "roundtrip:1")
    assert "Loaded image: roundtrip:1" in engine.out("load", "-i", out)
    assert engine.inspect("roundtrip:1")["Id"] == engine.inspect("busybox")["Id"]
    engine.docker("rmi", "roundtrip:1")


def test_events_stream(engine):
    since = str(int(time.time()) - 1)
    engine.docker("run", "--rm", "--name", "ev", "busybox", "true")
    until = str(int(time.time()) + 1)
    out = engine.out("events", "--since", since, "--until", until, "--filter", "container=ev",
                     "--format", "{{.Action}}", timeout=20)
    actions = out.split()
    for a in ("create", "start", "die", "destroy"):
        assert a in actions


def test_published_port_answers(engine):
    # berthd runs in the test's own network namespace; bring its loopback up
    # there (never on the host) and connect from inside it.
    ns = ["nsenter", "-t", str(engine.proc.pid), "-n"]
    subprocess.run(ns + ["ip", "link", "set", "lo", "up"], check=True)
    engine.docker("run", "-d", "--name", "web", "-p", "18080:80", "busybox", "sh", "-c",
                  "echo published > /tmp/index.html; exec httpd -f -p 80 -h /tmp")
    try:
        assert "18080->80/tcp" in engine.out("ps", "--format", "{{.Ports}}", "--filter", "name=web")
        deadline = time.time() + 10
        while True:
            res = subprocess.run(ns + ["wget", "-qO-", "http://127.0.0.1:18080/index.html"],
                                 capture_output=True, text=True)
            if res.returncode == 0 or time.time() > deadline:
                break
            time.sleep(0.1)
        assert res.stdout == "published\n"
        res = engine.docker("run", "-d", "--name", "web2", "-p", "18080:80", "busybox", "sleep",
                            "30", check=False)
        assert res.returncode != 0 and "Address already in use" in res.stderr
        engine.docker("rm", "-f", "web2")
    finally:
        engine.docker("rm", "-f", "web")
    res = subprocess.run(ns + ["wget", "-T", "2", "-qO-", "http://127.0.0.1:18080/index.html"],
                         capture_output=True, text=True)
    assert res.returncode != 0  # the listener went with the container
