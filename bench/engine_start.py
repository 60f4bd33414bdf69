#!/usr/bin/python3
"""Container start latency: `docker run --rm busybox true` through berthd,
the same through berthd's API without the docker CLI, and `crun run` of an
equivalent bundle directly, in one run on this host.

usage: bench/engine_start.py [--berthd PATH] [-n N]
Runs berthd in its own network namespace with a temporary root; bare crun
runs in berthd's mount namespace (nsenter) so both see the same cgroup setup.
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--berthd", default=os.path.join(ROOT, "build", "runtime", "berthd"))
    ap.add_argument("-n", type=int, default=20)
    args = ap.parse_args()
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

        docker_t, api_t, crun_t = [], [], []
        for i in range(args.n):
            t = time.monotonic()
            subprocess.run(["docker", "run", "--rm", "busybox", "true"], env=env, check=True)
            docker_t.append(time.monotonic() - t)

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
        print("ratio (median) CLI/crun %.2fx, API/crun %.2fx" % (
            statistics.median(docker_t) / statistics.median(crun_t),
            statistics.median(api_t) / statistics.median(crun_t)))
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
