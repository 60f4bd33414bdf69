"""End to end: `berth machine create` installs berthd, reachable by the real
docker client over mutual TLS (Docker Machine's `env` workflow), and the
docker client runs containers in the machine. Tests run in file order on one
machine: a volume written before the restart test is read after it."""

import json
import os
import re
import shlex
import ssl
import socket
import stat
import subprocess
import urllib.request

import pytest

from berthlab import Lab, ROOT, wait_until


@pytest.fixture(scope="module")
def eng():
    lab = Lab("engine")
    created = lab.create("eng1", extra=("--forward", "8080"))
    lab.create_output = created.stdout + created.stderr
    yield lab
    lab.close()


def docker_env(lab, name):
    env = dict(os.environ)
    for line in lab.run("machine", "env", name).stdout.splitlines():
        if line.startswith("export "):
            key, _, value = line[len("export "):].partition("=")
            env[key] = shlex.split(value)[0]
    return env


def docker(lab, name, *args, timeout=120):
    return subprocess.run(["docker", *args], env=docker_env(lab, name), capture_output=True,
                          text=True, timeout=timeout)


def test_create_puts_the_engine_on_the_data_disk(eng):
    # Nothing is uploaded after boot, and provisioning did not restart the
    # berthd the guest started from its data disk.
    out = eng.create_output
    assert "preparing TLS certificates and the engine bundle" in out, out
    assert "uploading the engine bundle" not in out, out
    serial = (eng.machine_dir("eng1") / "serial.log").read_text(errors="replace")
    starts = re.findall(r"^berthd \S+ listening on", serial, re.M)
    assert len(starts) == 1, serial  # started once, at boot
    pid = eng.ssh("eng1", "pidof berthd").stdout.strip()
    assert pid
    # Provisioning again with nothing changed keeps the running engine.
    eng.run("machine", "provision", "eng1")
    assert eng.ssh("eng1", "pidof berthd").stdout.strip() == pid


def test_env_points_docker_at_the_machine(eng):
    out = eng.run("machine", "env", "eng1").stdout
    url = eng.run("machine", "url", "eng1").stdout.strip()
    assert f'export DOCKER_HOST="{url}"' in out
    assert 'export DOCKER_TLS_VERIFY="1"' in out
    assert f'export DOCKER_CERT_PATH="{eng.home}/certs"' in out
    assert 'export DOCKER_MACHINE_NAME="eng1"' in out
    fish = eng.run("machine", "env", "eng1", "--shell", "fish").stdout
    assert f'set -gx DOCKER_HOST "{url}";' in fish
    ps = eng.run("machine", "env", "eng1", "--shell", "powershell").stdout
    assert f'$Env:DOCKER_HOST = "{url}"' in ps
    unset = eng.run("machine", "env", "--unset").stdout
    assert "unset DOCKER_HOST" in unset and "export" not in unset
    v = docker(eng, "eng1", "version", "--format", "{{.Server.Version}} {{.Server.APIVersion}}")
    assert v.returncode == 0, v.stderr
    assert v.stdout.split()[1] >= "1.41"


def test_images_load_and_list(eng, tmp_path):
    tar = tmp_path / "busybox.tar"
    subprocess.run([str(ROOT / "images" / "busybox-image"), str(tar)], check=True,
                   capture_output=True)
    load = docker(eng, "eng1", "load", "-i", str(tar))
    assert load.returncode == 0, load.stderr
    images = docker(eng, "eng1", "images", "--format", "{{.Repository}}:{{.Tag}}")
    assert "busybox:latest" in images.stdout.split()


def test_run_prints_output_and_exit_code(eng):
    hello = docker(eng, "eng1", "run", "--rm", "busybox", "echo", "hello")
    assert hello.returncode == 0, hello.stderr
    assert hello.stdout == "hello\n"
    failed = docker(eng, "eng1", "run", "--rm", "busybox", "sh", "-c", "echo oops >&2; exit 7")
    assert failed.returncode == 7
    assert "oops" in failed.stderr
    gone = docker(eng, "eng1", "ps", "-a", "--format", "{{.Image}} {{.Command}}")
    assert "exit 7" not in gone.stdout  # --rm removed it


def test_tcg_guest_runs_crun_without_aslr_and_containers_with_it(eng):
    # Under TCG the run script passes --no-runtime-aslr (crun starts 2-3x
    # faster); under KVM it does not. Containers keep address randomization.
    ps = eng.ssh("eng1", "ps -o args | grep '[b]in/berthd'").stdout
    assert ("--no-runtime-aslr" in ps) == (not os.path.exists("/dev/kvm")), ps
    res = docker(eng, "eng1", "run", "--rm", "busybox", "cat", "/proc/self/personality")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "00000000"


def test_detached_logs_exec_and_limits(eng):
    run = docker(eng, "eng1", "run", "-d", "--name", "worker", "-m", "64m", "--cpus", "0.5",
                 "-e", "GREETING=hi", "busybox", "sh", "-c",
                 "echo started $GREETING; exec sleep 600")
    assert run.returncode == 0, run.stderr
    wait_until(lambda: "started hi" in docker(eng, "eng1", "logs", "worker").stdout, 60,
               what="the container's first log line")
    ex = docker(eng, "eng1", "exec", "worker", "sh", "-c", "echo in $(hostname); exit 3")
    assert ex.returncode == 3
    assert ex.stdout.startswith("in ")
    limits = docker(eng, "eng1", "inspect", "--format",
                    "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.State.Running}}", "worker")
    assert limits.stdout.split() == [str(64 << 20), "500000000", "true"], limits.stderr
    # The limit is enforced by the guest kernel's cgroup, not just recorded.
    pid = docker(eng, "eng1", "inspect", "--format", "{{.State.Pid}}", "worker").stdout.strip()
    mem = eng.ssh("eng1", f"cat /sys/fs/cgroup$(cut -d: -f3 /proc/{pid}/cgroup)/memory.max")
    assert mem.stdout.strip() == str(64 << 20)
    rm = docker(eng, "eng1", "rm", "-f", "worker")
    assert rm.returncode == 0, rm.stderr


def test_published_port_answers_through_the_machine_forward(eng):
    forwards = eng.run("machine", "port", "eng1").stdout.split("\n")
    host_port = int(next(f for f in forwards if f.startswith("8080/tcp")).rsplit(":", 1)[1])
    web = docker(eng, "eng1", "run", "-d", "--name", "web", "-p", "8080:80", "busybox", "sh",
                 "-c", "mkdir /www && echo served by berth > /www/index.html && "
                 "exec httpd -f -p 80 -h /www")
    assert web.returncode == 0, web.stderr

    def fetch():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{host_port}/", timeout=5) as r:
                return r.read().decode()
        except OSError:
            return ""
    wait_until(lambda: fetch() == "served by berth\n", 60, what="the published port")
    docker(eng, "eng1", "rm", "-f", "web")


def test_containers_on_a_user_network_reach_each_other_by_name(eng):
    assert docker(eng, "eng1", "network", "create", "app").returncode == 0
    db = docker(eng, "eng1", "run", "-d", "--network", "app", "--name", "db",
                "--network-alias", "database", "busybox", "sh", "-c",
                "mkdir /www && echo db here > /www/index.html && exec httpd -f -p 80 -h /www")
    assert db.returncode == 0, db.stderr
    for name in ("db", "database"):
        get = docker(eng, "eng1", "run", "--rm", "--network", "app", "busybox", "wget", "-qO-",
                     f"http://{name}/")
        assert get.returncode == 0 and get.stdout == "db here\n", (name, get.stderr)
    # On the default bridge the name means nothing.
    other = docker(eng, "eng1", "run", "--rm", "busybox", "wget", "-qO-", "-T", "3", "http://db/")
    assert other.returncode != 0
    docker(eng, "eng1", "rm", "-f", "db")
    assert docker(eng, "eng1", "network", "rm", "app").returncode == 0


def test_volume_outlives_its_container(eng):
    assert docker(eng, "eng1", "volume", "create", "keep").returncode == 0
    w = docker(eng, "eng1", "run", "--rm", "-v", "keep:/data", "busybox", "sh", "-c",
               "echo kept > /data/file")
    assert w.returncode == 0, w.stderr
    r = docker(eng, "eng1", "run", "--rm", "-v", "keep:/data", "busybox", "cat", "/data/file")
    assert r.stdout == "kept\n", r.stderr


def test_lab_registry_serves_pull_and_push(eng, tmp_path):
    status = json.loads(eng.run("registry", "status", "--format", "json").stdout)
    assert status["running"] is False
    assert status["guest_address"] == "10.0.2.100:5000"
    eng.run("registry", "start")  # builds busybox from busybox-static and seeds it
    status = json.loads(eng.run("registry", "status", "--format", "json").stdout)
    assert status["running"] and "busybox" in status["repositories"]
    # The machine was created before the registry started: its guestfwd finds it.
    pull = docker(eng, "eng1", "pull", "busybox")
    assert pull.returncode == 0, pull.stderr
    assert "10.0.2.100:5000/busybox:latest" in pull.stdout
    # Any archive can be pushed from the host, and images pushed from the machine land there.
    tar = tmp_path / "tool.tar"
    subprocess.run([str(ROOT / "images" / "busybox-image"), str(tar), "tool:v1"], check=True,
                   capture_output=True)
    eng.run("registry", "push", str(tar), "lab/tool:v1")
    run = docker(eng, "eng1", "run", "--rm", "lab/tool:v1", "echo", "from the registry")
    assert run.returncode == 0 and run.stdout == "from the registry\n", run.stderr
    assert docker(eng, "eng1", "tag", "busybox", "10.0.2.100:5000/mine:1").returncode == 0
    push = docker(eng, "eng1", "push", "10.0.2.100:5000/mine:1")
    assert push.returncode == 0, push.stderr
    status = json.loads(eng.run("registry", "status", "--format", "json").stdout)
    assert {"busybox", "lab/tool", "mine"} <= set(status["repositories"])
    bad = eng.run("registry", "push", str(tar), "no-tag", check=False)
    assert bad.returncode == 1 and "NAME:TAG" in bad.stderr
    eng.run("registry", "stop")
    assert not json.loads(eng.run("registry", "status", "--format", "json").stdout)["running"]
    gone = docker(eng, "eng1", "pull", "lab/tool:v1")
    assert gone.returncode != 0
    # Stopping keeps the images: a restart serves them again.
    eng.run("registry", "start", "--no-seed")
    status = json.loads(eng.run("registry", "status", "--format", "json").stdout)
    assert "mine" in status["repositories"]
    eng.run("registry", "stop")


def test_tls_refuses_clients_without_a_certificate(eng):
    port = int(eng.inspect("eng1")["engine_port"])
    ctx = ssl.create_default_context(cafile=os.path.join(eng.home, "certs", "ca.pem"))
    with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
        with pytest.raises((ssl.SSLError, ConnectionResetError, BrokenPipeError)):
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                tls.sendall(b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n")
                if not tls.recv(100):  # TLS 1.3: the refusal arrives on first read
                    raise ConnectionResetError("closed")


def test_keys_are_private(eng):
    for path in [os.path.join(eng.home, "certs", "key.pem"),
                 os.path.join(eng.home, "certs", "ca-key.pem"),
                 str(eng.machine_dir("eng1") / "server-key.pem"),
                 str(eng.machine_dir("eng1") / "id_ed25519")]:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path


def test_loaded_image_survives_a_kill_right_after_load(eng, tmp_path):
    tar = tmp_path / "fresh.tar"
    subprocess.run([str(ROOT / "images" / "busybox-image"), str(tar), "fresh:1"], check=True,
                   capture_output=True)
    load = docker(eng, "eng1", "load", "-i", str(tar))
    assert load.returncode == 0, load.stderr
    eng.run("machine", "kill", "eng1")  # no shutdown, no flush by the guest
    eng.run("machine", "start", "eng1")
    wait_until(lambda: docker(eng, "eng1", "version").returncode == 0, 120, what="berthd")
    run = docker(eng, "eng1", "run", "--rm", "fresh:1", "echo", "intact")
    assert run.returncode == 0 and run.stdout == "intact\n", run.stderr


def test_engine_survives_restart_and_new_certs(eng):
    eng.run("machine", "restart", "eng1")
    # berthd is a supervised service on the data disk: it comes back by itself.
    v = docker(eng, "eng1", "version", "--format", "{{.Server.Version}}", timeout=180)
    assert v.returncode == 0, v.stderr
    before = (eng.machine_dir("eng1") / "server.pem").read_text()
    pid = eng.ssh("eng1", "pidof berthd").stdout.strip()
    eng.run("machine", "regenerate-certs", "eng1")
    # berthd was restarted to serve the new certificate (not the old process).
    assert eng.ssh("eng1", "pidof berthd").stdout.strip() not in ("", pid)
    assert (eng.machine_dir("eng1") / "server.pem").read_text() != before
    v = docker(eng, "eng1", "version", "--format", "{{.Server.Version}}")
    assert v.returncode == 0, v.stderr


def test_volume_and_image_survive_the_restart(eng):
    # Runs after test_engine_survives_restart_and_new_certs restarted the machine.
    r = docker(eng, "eng1", "run", "--rm", "-v", "keep:/data", "busybox", "cat", "/data/file")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "kept\n"
