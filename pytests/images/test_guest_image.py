"""End-to-end tests of the guest image (images/build-guest-image): build it,
boot it with bare QEMU and a data disk holding an identity, and check what
berth relies on: readiness line, pinned SSH host key, identity, network,
kernel features, runtime services, scp, clean ACPI power-off, caching."""

import json
import subprocess
import time

from guest_vm import READY_LINE, BareGuest, build_image


def test_build_is_cached_and_manifest_complete(manifest_path):
    again, seconds = build_image()
    assert again == manifest_path
    assert seconds < 1.0, f"cached build took {seconds:.2f} s"
    printed, _ = build_image("--print-path")
    assert printed == manifest_path
    m = json.loads(manifest_path.read_text())
    assert m["version"] == 1
    assert manifest_path.parent.name == "guest-" + m["hash"][:16]
    for key in ("kernel", "initrd"):
        path = manifest_path.parent / ("vmlinuz" if key == "kernel" else "initrd.img")
        assert m[key] == str(path) and path.stat().st_size > 1_000_000
    assert "console=ttyS0" in m["cmdline"]
    assert m["kernel_version"].endswith("-cloud-amd64")
    current = manifest_path.parent.parent / "guest-current"
    assert current.resolve() == manifest_path.parent


def test_ready_and_ssh_with_pinned_host_key(guest):
    assert guest.serial_text().count(READY_LINE) == 1
    assert guest.ssh("echo hello-from-guest").stdout == "hello-from-guest\n"
    # A wrong pinned key must be refused (no trust on first use).
    good = guest.known_hosts.read_text()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                    str(guest.workdir / "other")], check=True)
    pub = (guest.workdir / "other.pub").read_text().split()
    guest.known_hosts.write_text(f"[127.0.0.1]:{guest.ssh_port} {pub[0]} {pub[1]}\n")
    try:
        assert guest.ssh("true", check=False).returncode != 0
    finally:
        guest.known_hosts.write_text(good)


def test_identity_and_shell_environment(guest):
    out = guest.ssh("hostname; cat /etc/hostname; grep -c img-node1 /etc/hosts; "
                    "echo $HOME; id -u; which sv runsv dropbear scp ip").stdout
    lines = out.split("\n")
    assert lines[0] == lines[1] == guest.identity.hostname
    assert lines[2] == "1" and lines[3] == "/root" and lines[4] == "0"
    assert "/usr/bin/sv" in out and "/usr/sbin/dropbear" in out


def test_data_disk_mounted(guest):
    mounts = guest.ssh("cat /proc/mounts").stdout
    assert any(line.split()[:3] == ["/dev/vda", "/var/lib/berth", "ext4"]
               for line in mounts.splitlines())
    assert "cgroup2 /sys/fs/cgroup cgroup2" in mounts
    assert guest.ssh("cat /var/lib/berth/identity/machine.env").stdout.startswith(
        "BERTH_HOSTNAME=img-node1")


def test_network_by_mac(guest):
    out = guest.ssh("cat /sys/class/net/mgmt0/address /sys/class/net/lab0/address;"
                    " ip -4 addr show dev lab0; ip -4 addr show dev mgmt0; ip route").stdout
    assert guest.identity.mgmt_mac in out and guest.identity.lab_mac in out
    lab = out.split("mgmt0:")[0]
    assert "inet 10.77.0.11/24" in lab
    assert "inet 10.0.2.15/24" in out and "default via 10.0.2.2 dev mgmt0" in out
    # Frames the guest sends on its lab NIC arrive as UDP datagrams at the
    # host end of the socket (where berth's fabric sits).
    guest.lab_sock.settimeout(10)
    guest.ssh("ping -c 1 -W 1 10.77.0.99 >/dev/null 2>&1; true")
    frame, _ = guest.lab_sock.recvfrom(2048)
    assert frame[6:12] == bytes.fromhex(guest.identity.lab_mac.replace(":", ""))


def test_kernel_features_available(guest):
    modules = {line.split()[0] for line in
               guest.ssh("cat /proc/modules").stdout.splitlines()}
    for name in ("overlay", "veth", "bridge", "vxlan", "sch_netem", "nf_tables",
                 "nft_masq", "nft_chain_nat", "br_netfilter", "tun", "virtio_net"):
        assert name in modules, name
    out = guest.ssh(
        "grep -w overlay /proc/filesystems && "
        "ip link add t-veth0 type veth && ip link add t-br0 type bridge && "
        "ip link set t-veth0 master t-br0 && ip link show t-veth0 && "
        "modprobe xt_MASQUERADE && grep -c ^xt_MASQUERADE /proc/modules && "
        "ip link del t-veth0 && ip link del t-br0").stdout
    assert "master t-br0" in out and out.strip().endswith("1")
    # iproute2's ip (/usr/sbin/ip) creates vxlan links, which busybox's `ip`
    # applet (what busybox sh runs for a bare `ip`) cannot.
    out = guest.ssh(
        "/usr/sbin/ip -V && /usr/sbin/ip link add t-vx0 type vxlan id 42 remote 10.77.0.12 "
        "dstport 4789 dev lab0 && /usr/sbin/ip -d link show t-vx0 && /usr/sbin/ip link del t-vx0"
    ).stdout
    assert "iproute2" in out, out
    assert "vxlan id 42 remote 10.77.0.12 dev lab0" in out and "dstport 4789" in out, out


def test_runtime_service_started_and_restarted(guest):
    svc = "/var/lib/berth/services"
    guest.ssh(f"mkdir {svc}/.probe && printf '#!/bin/sh\\necho up >>/tmp/probe.log\\n"
              f"exec sleep 100000\\n' >{svc}/.probe/run && chmod +x {svc}/.probe/run && "
              f"mv {svc}/.probe {svc}/probe")
    wait = ("for i in $(seq 100); do [ \"$(grep -c up /tmp/probe.log 2>/dev/null)\" "
            "-ge {n} ] && sv status {svc}/probe && exit 0; usleep 100000; done; exit 1")
    assert guest.ssh(wait.format(n=1, svc=svc)).stdout.startswith("run: ")
    guest.ssh(f"kill -9 $(cat {svc}/probe/supervise/pid)")
    assert guest.ssh(wait.format(n=2, svc=svc)).stdout.startswith("run: ")


def test_scp_legacy_protocol(guest):
    src = guest.workdir / "payload.txt"
    src.write_text("berth scp payload\n")
    subprocess.run(["scp", "-O", *guest.ssh_options(), "-P", str(guest.ssh_port),
                    str(src), "root@127.0.0.1:/tmp/payload.txt"],
                   check=True, timeout=60)
    assert guest.ssh("cat /tmp/payload.txt").stdout == "berth scp payload\n"


def test_acpi_powerdown_leaves_clean_disk(guest):
    guest.ssh("echo persisted >/var/lib/berth/marker")
    start = time.monotonic()
    guest.monitor_command("system_powerdown")
    guest.proc.wait(timeout=60)
    took = time.monotonic() - start
    print(f"\nACPI power-off took {took:.2f} s")
    assert took < 20  # ~3 s on an idle host; TCG slows with the host's load
    assert "berth-guest: shutting down" in guest.serial_text()
    fsck = subprocess.run(["e2fsck", "-n", "-f", str(guest.identity.disk)],
                          capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    dump = subprocess.run(["debugfs", "-R", "cat /marker", str(guest.identity.disk)],
                          capture_output=True, text=True, check=True)
    assert dump.stdout == "persisted\n"


def test_second_boot_keeps_identity_and_services(guest, manifest_path, tmp_path):
    """Boots the same data disk again (after the clean power-off above): the
    pinned host key, hostname and the service added at runtime survive, and
    `reboot` inside the guest shuts down cleanly (boot-bare passes -no-reboot,
    so QEMU exits)."""
    assert guest.proc.poll() is not None, "needs the power-off test first"
    vm = BareGuest(tmp_path, manifest_path, guest.identity)
    try:
        vm.wait_serial(READY_LINE)
        out = vm.ssh("hostname; cat /var/lib/berth/marker; "
                     "for i in $(seq 100); do sv status /var/lib/berth/services/probe "
                     "| grep ^run: && exit 0; usleep 100000; done; exit 1").stdout
        assert out.startswith("img-node1\npersisted\nrun: /var/lib/berth/services/probe")
        vm.ssh("reboot", check=False)
        vm.proc.wait(timeout=60)
        assert "berth-guest: shutting down" in vm.serial_text()
    finally:
        vm.stop()
    fsck = subprocess.run(["e2fsck", "-n", "-f", str(guest.identity.disk)],
                          capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr


def test_boot_without_data_disk(manifest_path, tmp_path):
    vm = BareGuest(tmp_path, manifest_path, identity=None)
    try:
        vm.wait_serial(READY_LINE)
        serial = vm.serial_text()
        assert "berth-guest: error: no data disk /dev/vda" in serial
    finally:
        vm.stop()
