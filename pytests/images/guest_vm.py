"""Helpers for the guest image tests: build the image, make a data disk
holding a machine identity, boot it with bare QEMU (images/boot-bare).
(A module of its own, not conftest.py: several pytests/ folders have a
conftest.py, and `from conftest import` would find another one.)"""

import shutil
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "images" / "build-guest-image"
BOOT_BARE = ROOT / "images" / "boot-bare"
READY_LINE = "berth-guest: ready"


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_image(*args):
    """Runs build-guest-image; returns (manifest path, seconds taken)."""
    start = time.monotonic()
    out = subprocess.run([str(BUILD), *args], check=True, capture_output=True,
                         text=True, timeout=900)
    return Path(out.stdout.strip()), time.monotonic() - start


class Identity:
    """A machine identity on a data disk, laid out as the machine store
    writes it (docs/guest-image.md)."""

    def __init__(self, workdir: Path, hostname: str, mgmt_mac: str,
                 lab_mac: str, lab_addr: str):
        self.hostname, self.mgmt_mac = hostname, mgmt_mac
        self.lab_mac, self.lab_addr = lab_mac, lab_addr
        stage = workdir / "stage"
        ident = stage / "identity"
        ident.mkdir(parents=True)
        (stage / "services").mkdir()
        self.key = workdir / "id_ed25519"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C",
                        "berth-test", "-f", str(self.key)], check=True)
        shutil.copy(f"{self.key}.pub", ident / "authorized_keys")
        out = subprocess.run(
            ["dropbearkey", "-t", "ed25519", "-f",
             str(ident / "dropbear_ed25519_host_key")],
            check=True, capture_output=True, text=True).stdout
        self.host_pub = next(line for line in out.splitlines()
                             if line.startswith("ssh-ed25519 "))
        (ident / "machine.env").write_text(
            f"BERTH_HOSTNAME={hostname}\nBERTH_MGMT_MAC={mgmt_mac}\n"
            f"BERTH_LAB_MAC={lab_mac}\nBERTH_LAB_ADDR={lab_addr}\n")
        self.disk = workdir / "data.img"
        subprocess.run(["mkfs.ext4", "-q", "-L", "berth-data", "-d",
                        str(stage), str(self.disk), "256M"], check=True)


class BareGuest:
    """One guest booted by images/boot-bare; QEMU is our direct child."""

    def __init__(self, workdir: Path, manifest: Path, identity=None):
        self.workdir, self.identity = workdir, identity
        self.serial = workdir / "serial.log"
        self.monitor = workdir / "monitor.sock"
        self.ssh_port = free_port()
        self.lab_local = free_port(socket.SOCK_DGRAM)
        self.lab_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.lab_sock.bind(("127.0.0.1", 0))  # the "fabric" end of the lab NIC
        self.lab_remote = self.lab_sock.getsockname()[1]
        cmd = [str(BOOT_BARE), "--manifest", str(manifest),
               "--serial", str(self.serial), "--ssh-port", str(self.ssh_port),
               "--monitor", str(self.monitor),
               "--lab-udp", f"{self.lab_local}:{self.lab_remote}"]
        if identity:
            cmd += ["--disk", str(identity.disk), "--mgmt-mac",
                    identity.mgmt_mac, "--lab-mac", identity.lab_mac]
            self.known_hosts = workdir / "known_hosts"
            self.known_hosts.write_text(
                f"[127.0.0.1]:{self.ssh_port} "
                + " ".join(identity.host_pub.split()[:2]) + "\n")
        else:
            cmd += ["--no-disk"]
        self.qemu_log = open(workdir / "qemu.out", "w")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=self.qemu_log,
                                     stderr=subprocess.STDOUT)
        self.ready_after = None
        self.ssh_after = None

    def serial_text(self):
        try:
            return self.serial.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_serial(self, text, timeout=180):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.serial_text():
                return time.monotonic() - self.started
            assert self.proc.poll() is None, (
                f"QEMU exited ({self.proc.returncode}); serial:\n"
                + self.serial_text())
            time.sleep(0.02)
        raise AssertionError(f"no {text!r} on serial after {timeout} s:\n"
                             + self.serial_text())

    def ssh_options(self):
        """Options shared by ssh and scp: key auth, pinned host key."""
        return ["-F", "/dev/null", "-o", "BatchMode=yes",
                "-o", "StrictHostKeyChecking=yes",
                "-o", f"UserKnownHostsFile={self.known_hosts}",
                "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=30",
                "-o", "LogLevel=ERROR", "-i", str(self.identity.key)]

    def ssh_cmd(self, *remote):
        return ["ssh", *self.ssh_options(), "-p", str(self.ssh_port),
                "root@127.0.0.1", *remote]

    def ssh(self, script, check=True, timeout=60):
        out = subprocess.run(self.ssh_cmd(script), capture_output=True,
                             text=True, timeout=timeout)
        if check:
            assert out.returncode == 0, (
                f"ssh {script!r} failed ({out.returncode}): {out.stderr}")
        return out

    def monitor_command(self, command):
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(self.monitor))
            s.sendall(command.encode() + b"\n")
            time.sleep(0.2)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()  # QEMU's own PID (boot-bare execs it)
            self.proc.wait(timeout=30)
        self.qemu_log.close()
        self.lab_sock.close()
