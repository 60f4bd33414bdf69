"""Fixtures for the `berth scenario` CLI tests: the built berth binary."""
import os
import shutil

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BERTH_BUILD", os.path.join(ROOT, "build"))


@pytest.fixture(scope="session")
def berth():
    """Path of the berth binary ($BERTH_BUILD/cli/berth, else PATH)."""
    path = os.path.join(BUILD, "cli", "berth")
    if not os.access(path, os.X_OK):
        path = shutil.which("berth")
    assert path, "berth is not built: run cmake --build first (BERTH_BUILD=%s)" % BUILD
    return path


@pytest.fixture
def env(tmp_path):
    """Environment with a private BERTH_HOME so nothing touches ~/.berth."""
    e = dict(os.environ)
    e["BERTH_HOME"] = str(tmp_path / "home")
    e["BERTH_SCENARIOS"] = os.path.join(ROOT, "scenarios")
    return e
