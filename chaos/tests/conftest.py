import os
import subprocess
import sys
from pathlib import Path

import pytest

CHAOS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(CHAOS))


@pytest.fixture(scope="session")
def lincheck():
    """The coffer-lincheck binary: $COFFER_LINCHECK, or this checkout's build (built if missing)."""
    if os.environ.get("COFFER_LINCHECK") and Path(os.environ["COFFER_LINCHECK"]).exists():
        return os.environ["COFFER_LINCHECK"]
    root = CHAOS.parent
    binary = Path(subprocess.run(["swift", "build", "--show-bin-path"], cwd=root, check=True,
                                 capture_output=True, text=True).stdout.strip()) / "coffer-lincheck"
    if not binary.exists():
        subprocess.run(["swift", "build", "--product", "coffer-lincheck"], cwd=root, check=True)
    return str(binary)
