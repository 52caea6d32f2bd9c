"""The app for uvicorn's worker processes (engine serve --workers N): each opens the workspace
named by ENGINE_WORKSPACE."""

from __future__ import annotations

import gc
import logging
import os
from pathlib import Path

from fastapi import FastAPI

from outbound.config import load_config
from outbound.store.db import open_database
from outbound.web import agent
from outbound.web.app import create_app


def from_environment() -> FastAPI:
    config = load_config(Path(os.environ.get("ENGINE_WORKSPACE", ".")))
    return settled(
        create_app(config, open_database(config.database_url, config.database.wait_seconds))
    )


def settled(app: FastAPI) -> FastAPI:
    """APP ready to serve: what the agents' first pages would all read at once is read before
    they ask, then what the process made to start (modules, settings, the app, what was read),
    which it keeps to its end, is moved out of the garbage collector's way (gc.freeze): a full
    collection went through all of it, a pause of tens of milliseconds for every request in
    flight, every few hundred requests."""
    try:
        agent.warm(app.state.web)
    except Exception:  # reading ahead only saves time: each page reads what it lacks anyway
        logging.getLogger(__name__).warning("could not read the lists ahead", exc_info=True)
    gc.collect()
    gc.freeze()
    return app
