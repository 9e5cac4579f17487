"""Event tests: webhooks to a real loopback receiver, SSE over real HTTP, idempotency races,
file retention. They use the server tests' helpers (``tests/server/server_support.py``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

import pytest

HERE = Path(__file__).resolve().parent
for extra in (HERE, HERE.parent / "server"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from event_support import Receiver  # noqa: E402


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/events" in str(item.path):
            item.add_marker(pytest.mark.filterwarnings("ignore::litestar.exceptions.LitestarDeprecationWarning"))
            item.add_marker(pytest.mark.filterwarnings("ignore:Deprecated:DeprecationWarning"))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    try:
        yield r
    finally:
        r.close()
