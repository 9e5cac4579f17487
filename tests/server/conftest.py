"""Fixtures of the server tests: a real app on a real SQLite file in ``tmp_path``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Iterator

import pytest

from server_support import World, build_world, make_settings, running_app

from litestar.testing import TestClient
from ocrdesk.config import Settings


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The parameter style we use works across litestar>=2.12,<3; 2.2x warns about it.
    for item in items:
        if "tests/server" in str(item.path) or "tests/store" in str(item.path):
            item.add_marker(pytest.mark.filterwarnings("ignore::litestar.exceptions.LitestarDeprecationWarning"))
            item.add_marker(pytest.mark.filterwarnings("ignore:Deprecated:DeprecationWarning"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def world(settings: Settings) -> World:
    settings.ensure_dirs()
    return asyncio.run(build_world(settings.db_path))


@pytest.fixture
def client(settings: Settings, world: World) -> Iterator[TestClient[Any]]:
    with running_app(settings) as c:
        yield c
