"""End to end: `berth machine create` installs berthd, reachable by the real
docker client over mutual TLS (Docker Machine's `env` workflow)."""

import os
import shlex
import ssl
import socket
import stat
import subprocess

import pytest

from berthlab import Lab, ROOT


@pytest.fixture(scope="module")
def eng():
    lab = Lab("engine")
    lab.create("eng1")
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


def test_engine_survives_restart_and_new_certs(eng):
    eng.run("machine", "restart", "eng1")
    # berthd is a supervised service on the data disk: it comes back by itself.
    v = docker(eng, "eng1", "version", "--format", "{{.Server.Version}}", timeout=180)
    assert v.returncode == 0, v.stderr
    before = (eng.machine_dir("eng1") / "server.pem").read_text()
    eng.run("machine", "regenerate-certs", "eng1")
    assert (eng.machine_dir("eng1") / "server.pem").read_text() != before
    v = docker(eng, "eng1", "version", "--format", "{{.Server.Version}}")
    assert v.returncode == 0, v.stderr
