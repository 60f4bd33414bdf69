"""berthd's TCP listener with mutual TLS, checked with the real docker client:
a client certificate from the CA works; none, or one from another CA, fails
at the handshake. Hijacked (attach, exec) and streaming (logs -f) requests work
over TLS as over the unix socket (they once hung: the hijacked stream wrote
to OpenSSL's memory BIO directly, so nothing ever reached the socket)."""
import os
import socket
import ssl
import subprocess

import pytest

from berthd_harness import free_port, loaded_engine


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(d, name):
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=" + name,
            "-keyout", name + "-key.pem", "-out", name + ".pem", cwd=d)


def make_cert(d, ca, name, server):
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name,
            "-keyout", name + "-key.pem", "-out", name + ".csr", cwd=d)
    ext = os.path.join(d, name + ".ext")
    with open(ext, "w") as f:
        if server:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
        else:
            f.write("extendedKeyUsage=clientAuth\n")
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + "-key.pem",
            "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", name + ".pem", cwd=d)
    os.chmod(os.path.join(d, name + "-key.pem"), 0o600)


@pytest.fixture(scope="module")
def tls_engine(tmp_path_factory, busybox_tar):
    tmp = str(tmp_path_factory.mktemp("tls"))
    pki = os.path.join(tmp, "pki")
    os.makedirs(pki)
    make_ca(pki, "ca")
    make_cert(pki, "ca", "server", True)
    make_cert(pki, "ca", "client", False)
    make_ca(pki, "otherca")
    make_cert(pki, "otherca", "intruder", False)
    port = free_port()
    args = ["--tls-listen", "127.0.0.1:%d" % port,
            "--tlscacert", os.path.join(pki, "ca.pem"),
            "--tlscert", os.path.join(pki, "server.pem"),
            "--tlskey", os.path.join(pki, "server-key.pem"), "-D", "--no-runtime-aslr"]
    with loaded_engine(tmp, busybox_tar, extra_args=args, netns=False) as e:
        e.pki = pki
        e.port = port
        yield e


def tls_docker(e, *args, cert=None, key=None, input=None):
    env = dict(e.env)
    env.pop("DOCKER_HOST", None)
    argv = ["docker", "-H", "tcp://127.0.0.1:%d" % e.port, "--tlsverify",
            "--tlscacert", os.path.join(e.pki, "ca.pem")]
    if cert:
        argv += ["--tlscert", os.path.join(e.pki, cert), "--tlskey", os.path.join(e.pki, key)]
    # On timeout subprocess.run SIGKILLs the client (docker would forward a
    # SIGTERM to the container instead of exiting), so a hang fails the test.
    return subprocess.run(argv + list(args), env=env, capture_output=True, text=True,
                          input=input, timeout=30)


def client(e, *args, input=None):
    return tls_docker(e, *args, cert="client.pem", key="client-key.pem", input=input)


def test_client_cert_from_ca_works(tls_engine):
    res = tls_docker(tls_engine, "version", "--format", "{{.Server.Version}}",
                     cert="client.pem", key="client-key.pem")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip()
    res = tls_docker(tls_engine, "info", "--format", "{{.Driver}}",
                     cert="client.pem", key="client-key.pem")
    assert res.stdout.strip() == "overlay"


def test_no_client_cert_is_refused(tls_engine):
    # docker refuses --tlsverify without a client cert pair only when given one
    # half; with neither it connects without a certificate.
    res = tls_docker(tls_engine, "version", "--format", "{{.Server.Version}}")
    assert res.returncode != 0
    assert "tls" in res.stderr.lower() or "certificate" in res.stderr.lower()


def test_client_cert_from_other_ca_is_refused(tls_engine):
    res = tls_docker(tls_engine, "version", "--format", "{{.Server.Version}}",
                     cert="intruder.pem", key="intruder-key.pem")
    assert res.returncode != 0
    assert "tls" in res.stderr.lower() or "certificate" in res.stderr.lower()


def test_handshake_itself_fails_without_cert(tls_engine):
    # Independent of the docker client: openssl s_client without a cert gets
    # no HTTP answer.
    res = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % tls_engine.port,
                          "-CAfile", os.path.join(tls_engine.pki, "ca.pem"), "-quiet"],
                         input="GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n", capture_output=True,
                         text=True, timeout=30)
    assert "OK" not in res.stdout


def test_run_attached_over_tls(tls_engine):
    res = client(tls_engine, "run", "--rm", "--network", "none", "busybox", "echo", "hello")
    assert res.returncode == 0, res.stderr
    assert res.stdout == "hello\n"
    assert tls_engine.out("ps", "-aq").strip() == ""  # --rm removed it


def test_run_exit_code_and_logs_over_tls(tls_engine):
    res = client(tls_engine, "run", "--name", "tls-exit", "--network", "none", "busybox", "sh",
                 "-c", "echo out; echo err >&2; exit 3")
    assert res.returncode == 3, res.stderr
    assert res.stdout == "out\n" and res.stderr == "err\n"
    res = client(tls_engine, "logs", "tls-exit")
    assert res.returncode == 0, res.stderr
    assert res.stdout == "out\n" and res.stderr == "err\n"
    res = client(tls_engine, "start", "-a", "tls-exit")
    assert res.returncode == 3 and res.stdout == "out\n", res.stderr
    tls_engine.docker("rm", "tls-exit")


def test_logs_follow_ends_with_container_over_tls(tls_engine):
    res = client(tls_engine, "run", "-d", "--network", "none", "busybox", "sh", "-c",
                 "echo first; sleep 2; echo second")
    assert res.returncode == 0, res.stderr
    cid = res.stdout.strip()
    res = client(tls_engine, "logs", "-f", cid)
    assert res.returncode == 0, res.stderr
    assert res.stdout == "first\nsecond\n"
    tls_engine.docker("rm", "-f", cid)


def test_exec_over_tls(tls_engine):
    res = client(tls_engine, "run", "-d", "--network", "none", "busybox", "sleep", "60")
    assert res.returncode == 0, res.stderr
    cid = res.stdout.strip()
    try:
        res = client(tls_engine, "exec", cid, "sh", "-c", "echo in-exec; exit 4")
        assert res.returncode == 4 and res.stdout == "in-exec\n", res.stderr
        # stdin crosses the hijacked TLS stream and its end (close_notify) ends cat.
        res = client(tls_engine, "exec", "-i", cid, "cat", input="piped through tls\n")
        assert res.returncode == 0, res.stderr
        assert res.stdout == "piped through tls\n"
    finally:
        tls_engine.docker("rm", "-f", cid)


def test_no_session_tickets(tls_engine):
    # The docker client never resumes, so berthd issues no tickets: they cost
    # ~5 ms of a ~30 ms handshake on a TCG guest.
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(os.path.join(tls_engine.pki, "ca.pem"))
    ctx.load_cert_chain(os.path.join(tls_engine.pki, "client.pem"),
                        os.path.join(tls_engine.pki, "client-key.pem"))
    with socket.create_connection(("127.0.0.1", tls_engine.port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            s.sendall(b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n")
            assert s.recv(4096).startswith(b"HTTP/1.1 200")
            assert s.version() == "TLSv1.3"
            assert s.session is None or not s.session.has_ticket


def test_debug_logs_requests_and_handshakes(tls_engine):
    assert client(tls_engine, "version").returncode == 0
    logs = tls_engine.logs()
    assert "berthd: debug: TLS handshake " in logs, logs
    assert "/version -> 200 " in logs, logs


def test_runtime_runs_pinned_and_without_aslr_but_containers_keep_it(tls_engine):
    pid = tls_engine.proc.pid
    with open("/proc/%d/personality" % pid) as f:
        assert int(f.read(), 16) & 0x0040000  # ADDR_NO_RANDOMIZE, inherited by crun
    with open("/proc/%d/mountinfo" % pid) as f:
        pins = [l for l in f if l.split()[4] == tls_engine.exec_root + "/bin/crun"]
    assert pins and pins[0].split()[5].startswith("ro"), pins  # read-only: no self-copy needed
    res = client(tls_engine, "run", "--rm", "busybox", "cat", "/proc/self/personality")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "00000000"
