"""Segments on a dask.distributed cluster: each task reads one partition of month M and the
same partition of M-1 from the store (a line keeps its partition from month to month, so
prev.* needs no shuffle), applies the rules' compiled masks there, and sends back only what was
asked: the selected lines, or how many there are."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from outbound.config import LINE_ID
from outbound.errors import UserError
from outbound.extract import snapshots
from outbound.extract.snapshots import PARTITIONS, Snapshot
from outbound.rules.rule import Rule

if TYPE_CHECKING:
    import datetime as dt

    from distributed import Client

CONNECT_SECONDS = 10
_clients: dict[str, Client] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Ask:
    """What each partition is asked: RULES (by name) evaluated on COLUMNS of the current month
    (every column with None) and PREV_COLUMNS of the month before; with COUNT_ONLY, how many
    lines each selects rather than which."""

    rules: dict[str, Rule]
    columns: Sequence[str] | None
    prev_columns: Sequence[str]
    as_of: dt.date
    count_only: bool = False
    # Also every column of the month before for the selected lines (scripts may show them).
    previous_rows: bool = False


@dataclass(frozen=True)
class Found:
    selected: dict[str, pa.Table]  # in file order, without row numbers; empty when counting
    counts: dict[str, int]
    previous: pa.Table | None  # with previous_rows, when the month before is loaded


def evaluate(address: str, current: Snapshot, previous: Snapshot | None, ask: Ask) -> Found:
    """ASK answered partition by partition on the cluster at ADDRESS."""
    from distributed import KilledWorker
    from distributed.comm.core import CommClosedError

    client = _client(address)
    futures = client.map(
        _partition, range(PARTITIONS), current=current, previous=previous, ask=ask, pure=False
    )
    try:
        parts: list[_Answer] = client.gather(futures)
    except (CommClosedError, TimeoutError) as e:
        raise UserError(
            f"the compute cluster at {address} stopped answering mid-way ({e}); nothing was "
            "written: run the command again when its scheduler is back",
            "cluster_lost",
            address=address,
        ) from None
    except KilledWorker as e:
        raise UserError(
            f"the compute cluster at {address} lost the workers that read a partition ({e}), "
            "out of memory perhaps; nothing was written: give its workers more memory, or "
            "start more of them, and run the command again",
            "cluster_lost",
            address=address,
        ) from None
    counts = {name: 0 for name in ask.rules}
    selected: dict[str, pa.Table] = {}
    for name in ask.rules:
        if ask.count_only:
            counts[name] = sum(int(part.rules[name]) for part in parts)
            continue
        found = pa.concat_tables([part.rules[name] for part in parts])
        selected[name] = snapshots.file_order(found)
        counts[name] = selected[name].num_rows
    before = [part.previous for part in parts if part.previous is not None]
    return Found(
        selected, counts, snapshots.file_order(pa.concat_tables(before)) if before else None
    )


@dataclass(frozen=True)
class _Answer:
    rules: dict[str, pa.Table | int]
    previous: pa.Table | None


def _partition(part: int, *, current: Snapshot, previous: Snapshot | None, ask: Ask) -> _Answer:
    """One partition's answer, computed on a worker."""
    columns = snapshots.stored_columns(ask.columns)
    table = snapshots.typed(snapshots.read_parts(current, columns, [part]))
    frame = table.to_pandas(types_mapper=pd.ArrowDtype)
    before = None
    if previous is not None and len(ask.prev_columns) > 1:
        before = snapshots.read_parts(previous, ask.prev_columns, [part])
        before = before.to_pandas(types_mapper=pd.ArrowDtype)
    answer: dict[str, pa.Table | int] = {}
    anyone = np.zeros(len(frame), dtype=bool)
    for name, rule in ask.rules.items():
        mask = rule.mask(frame, before, ask.as_of).to_numpy()
        anyone |= mask
        answer[name] = int(mask.sum()) if ask.count_only else table.filter(pa.array(mask))
    if not ask.previous_rows or previous is None:
        return _Answer(answer, None)
    whole = snapshots.read_parts(previous, None, [part])
    chosen = table[LINE_ID].filter(pa.array(anyone))
    return _Answer(answer, snapshots.typed(whole.filter(pc.is_in(whole[LINE_ID], chosen))))


def workers(address: str) -> int:
    """How many workers the cluster at ADDRESS has now."""
    return len(_client(address).scheduler_info()["workers"])


def _client(address: str) -> Client:
    """One client a process and scheduler, connected on first use."""
    with _lock:
        client = _clients.get(address)
        if client is not None and client.status == "running":
            return client
        from distributed import Client

        try:
            client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
        except (OSError, TimeoutError) as e:
            raise UserError(
                f"config.toml [compute] scheduler = {address!r}: the cluster does not answer "
                f'({e}); start its scheduler and workers, or set scheduler = "local"',
                "cluster_unreachable",
                address=address,
            ) from None
        _clients[address] = client
        return client
