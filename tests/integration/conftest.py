"""The integration tests' call center after its first run (the end-to-end tests' center)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from outbound.config import load_config
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
