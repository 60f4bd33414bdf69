"""Fixtures for the guest image tests (helpers in guest_vm.py)."""

import time

import pytest

from guest_vm import READY_LINE, BareGuest, Identity, build_image


@pytest.fixture(scope="session")
def manifest_path():
    path, _ = build_image()
    return path


@pytest.fixture(scope="module")
def guest(manifest_path, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("guest")
    identity = Identity(workdir, "img-node1", "52:54:00:a1:00:01",
                        "52:54:00:b1:00:01", "10.77.0.11/24")
    vm = BareGuest(workdir, manifest_path, identity)
    try:
        vm.ready_after = vm.wait_serial(READY_LINE)
        deadline = time.monotonic() + 90
        while True:
            out = vm.ssh("true", check=False, timeout=20)
            if out.returncode == 0:
                break
            assert time.monotonic() < deadline, out.stderr
            time.sleep(0.1)
        vm.ssh_after = time.monotonic() - vm.started
        print(f"\nbare boot: ready on serial after {vm.ready_after:.2f} s, "
              f"ssh answered after {vm.ssh_after:.2f} s")
        yield vm
    finally:
        vm.stop()
