"""The integration tests' call center after its first run (the end-to-end tests' center)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from outbound.config import Config, load_config
from outbound.store.db import open_database
from tests.e2e.conftest import DAY, Center, center, new_center  # noqa: F401

Ran = tuple[Center, sa.Engine]


@pytest.fixture
def ran(center: Center) -> Iterator[Ran]:  # noqa: F811
    """The center after its first run, and its database."""
    center.ok("run", "--date", DAY, now=f"{DAY} 07:30")
    engine = open_database(load_config(center.folder).database_url)
    yield center, engine
    engine.dispose()


@pytest.fixture
def opened(workspace: Path) -> Iterator[tuple[Config, sa.Engine]]:
    """The fixture workspace's settings and its (empty) database."""
    config = load_config(workspace)
    engine = open_database(config.database_url)
    yield config, engine
    engine.dispose()
