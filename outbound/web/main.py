"""The app for uvicorn's worker processes (engine serve --workers N): each opens the workspace
named by ENGINE_WORKSPACE."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from outbound.config import load_config
from outbound.store.db import open_database
from outbound.web.app import create_app


def from_environment() -> FastAPI:
    config = load_config(Path(os.environ.get("ENGINE_WORKSPACE", ".")))
    return create_app(config, open_database(config.database_url, config.database.wait_seconds))
