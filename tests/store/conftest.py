"""Store tests run on a real SQLite file in ``tmp_path``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
try:
    import ocrdesk.store  # noqa: F401
except ImportError:  # no `maturin develop` yet: use the source tree
    sys.path.insert(0, str(REPO / "python"))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
