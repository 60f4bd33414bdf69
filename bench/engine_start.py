#!/usr/bin/python3
"""Container start latency: `docker run --rm busybox true` through berthd,
the same through berthd's API without the docker CLI, and `crun run` of an
equivalent bundle directly, in one run on this host.

usage: bench/engine_start.py [--berthd PATH] [-n N]
       bench/engine_start.py --machine NAME [--berth PATH] [-n N]
Runs berthd in its own network namespace with a temporary root; bare crun
runs in berthd's mount namespace (nsenter) so both see the same cgroup setup.

With --machine, measures inside an existing berth machine (BERTH_HOME of the
caller) instead: `docker run --rm busybox true` from this host through the
machine's TLS endpoint (what users do after `eval $(berth machine env)`),
against `crun run` of an equivalent bundle (busybox's layer from berthd's
store, crun's default spec) timed inside the guest with busybox `time`, in
interleaved batches. The guest has no clock finer than `time`'s 10 ms, so
the crun figure is the mean of a batch; docker's is reported as mean too.
Also timed in the same run: `docker --version` (the client process alone),
`docker version` (client, one TLS handshake, two requests), and berthd's own
path (create, start, wait for removal) over two open TLS connections.
"""
import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(self.path)


def api(sock, method, url, body=None):
    c = UnixHTTP(sock)
    c.request(method, url, body=json.dumps(body) if body is not None else None,
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    if r.status >= 300:
        raise RuntimeError("%s %s: %d %s" % (method, url, r.status, data))
    return json.loads(data) if data.strip() else None


def stats(xs):
    xs = sorted(xs)
    return "median %.1f ms, p90 %.1f ms, min %.1f ms" % (
        statistics.median(xs) * 1000, xs[int(len(xs) * 0.9) - 1] * 1000, xs[0] * 1000)


def cli_floor(env):
    """Seconds for `docker --version`: the client process alone, which every
    docker command pays before it reaches any engine."""
    t = time.monotonic()
    subprocess.run(["docker", "--version"], env=env, check=True, capture_output=True)
    return time.monotonic() - t


def tls_api_cycle(env, conns):
    """Seconds for create, start and wait-until-removed of `busybox true`
    (AutoRemove) over two already open mutual-TLS connections: berthd's own
    path in the machine, without the docker client or any handshake."""
    if not conns:
        certs = env["DOCKER_CERT_PATH"]
        host, port = env["DOCKER_HOST"].split("://", 1)[1].rsplit(":", 1)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(certs + "/ca.pem")
        ctx.load_cert_chain(certs + "/cert.pem", certs + "/key.pem")
        for _ in range(2):
            c = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=60)
            c.connect()
            c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conns.append(c)

    def call(c, method, url, body=None):
        c.request(method, url, body=json.dumps(body) if body is not None else None,
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        data = r.read()
        if r.status >= 300:
            raise RuntimeError("%s %s: %d %s" % (method, url, r.status, data))
        return data

    t = time.monotonic()
    cid = json.loads(call(conns[0], "POST", "/v1.43/containers/create",
                          {"Image": "busybox", "Cmd": ["true"],
                           "HostConfig": {"AutoRemove": True}}))["Id"]
    waiter = threading.Thread(
        target=call, args=(conns[1], "POST", "/v1.43/containers/%s/wait?condition=removed" % cid))
    waiter.start()
    call(conns[0], "POST", "/v1.43/containers/%s/start" % cid)
    waiter.join()
    return time.monotonic() - t


def machine_bench(berth, name, n, batch=5):
    def ssh(cmd, input=None):
        return subprocess.run([berth, "machine", "ssh", name, "--", cmd], input=input,
                              capture_output=True, text=True, check=True).stdout

    env = dict(os.environ)
    for line in subprocess.run([berth, "machine", "env", name], capture_output=True, text=True,
                               check=True).stdout.splitlines():
        m = re.match(r'export (\w+)="(.*)"', line)
        if m:
            env[m.group(1)] = m.group(2)
    tmp = tempfile.mkdtemp(prefix="bench-engine-")
    try:
        env["DOCKER_CONFIG"] = tmp + "/dc"
        img = tmp + "/busybox.tar"
        subprocess.run([ROOT + "/images/busybox-image", img], check=True, capture_output=True)
        subprocess.run(["docker", "load", "-i", img], env=env, check=True, capture_output=True)
        subprocess.run(["crun", "spec"], cwd=tmp, check=True)
        with open(tmp + "/config.json") as f:
            spec = json.load(f)
        spec["process"]["terminal"] = False
        spec["process"]["args"] = ["true"]
        spec["linux"]["cgroupsPath"] = "/berth-bench/bare"
        b = "/var/lib/berth/bench-bundle"
        ssh("set -e; rm -rf %s; mkdir -p %s; for d in /var/lib/berth/engine/image/layers/*/diff; "
            "do [ -e $d/bin/busybox ] && L=$d; done; cp -a $L %s/rootfs; cat > %s/config.json"
            % (b, b, b, b), input=json.dumps(spec))
        crun = ("E=$(ls -d /var/lib/berth/engine-bundle/*/ | tail -1); "
                "export LD_LIBRARY_PATH=${E}lib; C=${E}bin/crun; ")
        docker_t, crun_t, floor_t, version_t, api_t, conns = [], [], [], [], [], []
        for r in range(max(1, n // batch)):
            for i in range(batch):
                t = time.monotonic()
                subprocess.run(["docker", "run", "--rm", "busybox", "true"], env=env, check=True)
                docker_t.append(time.monotonic() - t)
                floor_t.append(cli_floor(env))
                t = time.monotonic()
                subprocess.run(["docker", "version"], env=env, check=True, capture_output=True)
                version_t.append(time.monotonic() - t)
                api_t.append(tls_api_cycle(env, conns))
            out = ssh(crun + "time sh -c 'i=0; while [ $i -lt %d ]; do $0 --root /run/berth-bench "
                      "run -b %s bare%d_$i >/dev/null || exit 1; i=$((i+1)); done' $C 2>&1"
                      % (batch, b, r))
            m = re.search(r"real\s+(\d+)m\s*([\d.]+)s", out)
            if not m:
                raise RuntimeError("no timing from the guest: " + out)
            crun_t.append((int(m.group(1)) * 60 + float(m.group(2))) / batch)
        d_mean = statistics.mean(docker_t)
        c_mean = statistics.mean(crun_t)
        print("inside machine %s, %d runs each:" % (name, len(docker_t)))
        print("docker run --rm busybox true (host CLI -> TLS -> berthd): mean %.1f ms, %s"
              % (d_mean * 1000, stats(docker_t)))
        print("crun run of an equivalent bundle in the guest:             mean %.1f ms "
              "(batches of %d)" % (c_mean * 1000, batch))
        print("docker --version (the client alone):                        mean %.1f ms"
              % (statistics.mean(floor_t) * 1000))
        print("docker version (client + one TLS handshake + 2 requests):   mean %.1f ms"
              % (statistics.mean(version_t) * 1000))
        print("berthd API over open TLS connections (no CLI):             mean %.1f ms, %s"
              % (statistics.mean(api_t) * 1000, stats(api_t)))
        print("ratio (mean) CLI/crun %.2fx, API/crun %.2fx, client alone/crun %.2fx, "
              "docker version/crun %.2fx"
              % (d_mean / c_mean, statistics.mean(api_t) / c_mean,
                 statistics.mean(floor_t) / c_mean, statistics.mean(version_t) / c_mean))
    finally:
        ssh("rm -rf /var/lib/berth/bench-bundle /run/berth-bench; "
            "rmdir /sys/fs/cgroup/berth-bench/bare* /sys/fs/cgroup/berth-bench 2>/dev/null; true")
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--berthd", default=os.path.join(ROOT, "build", "runtime", "berthd"))
    ap.add_argument("--machine", help="measure inside this berth machine instead")
    ap.add_argument("--berth", default=os.path.join(ROOT, "build", "cli", "berth"))
    ap.add_argument("-n", type=int, default=20)
    args = ap.parse_args()
    if args.machine:
        machine_bench(args.berth, args.machine, args.n)
        return
    tmp = tempfile.mkdtemp(prefix="bench-engine-")
    exec_root = tempfile.mkdtemp(prefix="bb", dir="/tmp")
    sock = os.path.join(exec_root, "s.sock")
    cg = "/berth-bench-%d" % os.getpid()
    proc = subprocess.Popen(["unshare", "--net", "--", args.berthd, "--root", tmp + "/root",
                             "--exec-root", exec_root, "-H", sock, "--cgroup-parent", cg],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = dict(os.environ, DOCKER_HOST="unix://" + sock, DOCKER_CONFIG=tmp + "/dc")
    try:
        while not os.path.exists(sock):
            time.sleep(0.02)
        img = tmp + "/busybox.tar"
        subprocess.run([ROOT + "/images/busybox-image", img], check=True, capture_output=True)
        subprocess.run(["docker", "load", "-i", img], env=env, check=True, capture_output=True)

        # Bare crun bundle: the same busybox layer, crun's default spec (the
        # same namespaces), running `true`.
        bundle = tmp + "/bundle"
        os.makedirs(bundle + "/rootfs")
        listing = subprocess.run(["tar", "-tvf", img], capture_output=True, text=True).stdout
        biggest = max((l.split() for l in listing.splitlines() if "blobs/sha256/" in l),
                      key=lambda f: int(f[2]))[-1]
        layer = subprocess.run(["tar", "-xOf", img, biggest], capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", bundle + "/rootfs"], input=layer, check=True)
        subprocess.run(["crun", "spec"], cwd=bundle, check=True)
        with open(bundle + "/config.json") as f:
            spec = json.load(f)
        spec["process"]["terminal"] = False
        spec["process"]["args"] = ["true"]
        spec["linux"]["cgroupsPath"] = cg + "/bare"
        with open(bundle + "/config.json", "w") as f:
            json.dump(spec, f)

        docker_t, api_t, crun_t, floor_t = [], [], [], []
        for i in range(args.n):
            t = time.monotonic()
            subprocess.run(["docker", "run", "--rm", "busybox", "true"], env=env, check=True)
            docker_t.append(time.monotonic() - t)

            floor_t.append(cli_floor(env))

            t = time.monotonic()
            cid = api(sock, "POST", "/v1.43/containers/create",
                      {"Image": "busybox", "Cmd": ["true"]})["Id"]
            api(sock, "POST", "/v1.43/containers/%s/start" % cid)
            api(sock, "POST", "/v1.43/containers/%s/wait" % cid)
            api(sock, "DELETE", "/v1.43/containers/%s" % cid)
            api_t.append(time.monotonic() - t)

            t = time.monotonic()
            subprocess.run(["nsenter", "-t", str(proc.pid), "-m", "crun", "--root",
                            exec_root + "/bare", "run", "-b", bundle, "bare%d" % i], check=True)
            crun_t.append(time.monotonic() - t)
        print("docker run --rm busybox true (docker CLI -> berthd): " + stats(docker_t))
        print("berthd API create+start+wait+delete (no CLI):        " + stats(api_t))
        print("crun run of an equivalent bundle:                     " + stats(crun_t))
        print("docker --version (the client alone, no engine):      " + stats(floor_t))
        print("ratio (median) CLI/crun %.2fx, API/crun %.2fx, client alone/crun %.2fx" % (
            statistics.median(docker_t) / statistics.median(crun_t),
            statistics.median(api_t) / statistics.median(crun_t),
            statistics.median(floor_t) / statistics.median(crun_t)))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(exec_root, ignore_errors=True)
        for ctl in ("memory", "cpu", "cpuacct", "pids", "cpuset", "blkio", "devices", "freezer", "systemd", ""):
            base = "/sys/fs/cgroup/%s%s" % (ctl, cg) if ctl else "/sys/fs/cgroup" + cg
            for d in (base + "/bare", base):
                try:
                    os.rmdir(d)
                except OSError:
                    pass


if __name__ == "__main__":
    main()
