"""Fixtures for the berthd end-to-end tests (see berthd_harness.py)."""
import os
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from berthd_harness import ROOT, Engine  # noqa: E402


@pytest.fixture(scope="session")
def busybox_tar(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("img") / "busybox.tar")
    subprocess.run([os.path.join(ROOT, "images", "busybox-image"), out], check=True,
                   capture_output=True)
    return out


@pytest.fixture(scope="module")
def engine(tmp_path_factory, busybox_tar):
    tmp = str(tmp_path_factory.mktemp("berthd"))
    e = Engine(tmp)
    try:
        e.docker("load", "-i", busybox_tar)
        yield e
    finally:
        e.stop()
        shutil.rmtree(tmp, ignore_errors=True)
