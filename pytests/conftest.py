import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from berthlab import Lab  # noqa: E402


@pytest.fixture
def lab():
    """A fresh, isolated berth home; every machine in it is removed afterwards."""
    lab = Lab()
    yield lab
    lab.close()
