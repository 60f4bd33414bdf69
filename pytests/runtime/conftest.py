"""Fixtures for the berthd end-to-end tests (see berthd_harness.py)."""
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from berthd_harness import ROOT, loaded_engine  # noqa: E402


@pytest.fixture(scope="session")
def busybox_tar(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("img") / "busybox.tar")
    subprocess.run([os.path.join(ROOT, "images", "busybox-image"), out], check=True,
                   capture_output=True)
    return out


@pytest.fixture(scope="module")
def engine(tmp_path_factory, busybox_tar):
    tmp = str(tmp_path_factory.mktemp("berthd"))
    with loaded_engine(tmp, busybox_tar) as e:
        yield e
