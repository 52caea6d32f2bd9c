"""`engine intake` against the local RabbitMQ (127.0.0.1:5672), on SQLite and PostgreSQL:
tickets taken in by batches and acknowledged after their commit, refused ones dead-lettered with
their problems, nothing doubled when a consumer dies before its acknowledgement or loses the
broker. Each test has queues of its own, deleted at its end."""

from __future__ import annotations

import contextlib
import json
import os
import queue as queue_
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pika
import pytest
import sqlalchemy as sa

from outbound.config import load_config
from outbound.orders import stream
from outbound.store.db import open_database
from outbound.store.orders import TICKETS
from tests.e2e.conftest import Center, new_center  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent.parent
BROKER = "amqp://guest:guest@127.0.0.1:5672/%2F"
NOW = "2026-11-02 10:00"


def _broker_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5672), 1).close()
    except OSError:
        return False
    return True


pytestmark = pytest.mark.skipif(
    not _broker_answers(), reason="no RabbitMQ on 127.0.0.1:5672 (.ci/run starts one)"
)

TICKET_TYPES = """
[tickets.complaint]
title = "投诉回访"
deadline_hours = 72
priority = 30

[tickets.fault]
title = "故障修复回访"
deadline_hours = 24
"""


def complaint(number: int, text: str, line: str | None = None, **more: str) -> dict[str, str]:
    return {
        "external_id": f"CRM-{number}",
        "source": "crm",
        "type": "complaint",
        "line_id": line or f"QY{number:010d}",
        "received_at": "2026-11-02T09:12:00+08:00",
        "text": text,
        **more,
    }


@pytest.fixture
def queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A queue of the test's own; it and its dead-letter queue are deleted at the end."""
    monkeypatch.delenv("ENGINE_INTAKE_URL", raising=False)
    name = f"tickets.test.{uuid.uuid4().hex[:12]}"
    yield name
    connection = pika.BlockingConnection(pika.URLParameters(BROKER))
    channel = connection.channel()
    for each in (name, name + ".dead"):
        channel.queue_delete(each)
    connection.close()


@pytest.fixture
def center(new_center: Callable[[str], Center], queue: str) -> Center:  # noqa: F811
    return new_center(
        TICKET_TYPES
        + f'\n[intake]\nqueue = "{queue}"\ndead_letter_queue = "{queue}.dead"\n'
        + "reconnect_seconds = 0.2\n"
    )


def depth(queue: str) -> int:
    connection = pika.BlockingConnection(pika.URLParameters(BROKER))
    try:
        return connection.channel().queue_declare(queue, passive=True).method.message_count
    finally:
        connection.close()


def dead_letters(queue: str) -> list[tuple[dict, bytes]]:
    """The headers and bodies of the dead-letter queue's messages, taken off it."""
    connection = pika.BlockingConnection(pika.URLParameters(BROKER))
    channel = connection.channel()
    found = []
    while True:
        method, properties, body = channel.basic_get(queue + ".dead", auto_ack=True)
        if method is None:
            break
        found.append((properties.headers, body))
    connection.close()
    return found


def taken_tickets(center: Center) -> list[tuple[str, str]]:
    """(external_id, via) of every ticket the database holds."""
    engine = open_database(load_config(center.folder).database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(TICKETS.c.external_id, TICKETS.c.via).order_by(TICKETS.c.external_id)
            ).all()
    finally:
        engine.dispose()
    return [tuple(row) for row in rows]


def complaint_orders(center: Center) -> list[dict]:
    return center.json("orders", "--type", "complaint", now=NOW)["orders"]


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {seconds} s")
        time.sleep(0.1)


def test_a_batch_of_tickets_is_taken_in_dispatched_and_acknowledged(
    center: Center, queue: str
) -> None:
    stream.publish(
        BROKER,
        queue,
        [
            [complaint(1, "宽带晚上经常掉线，重启光猫也不行"), complaint(2, "上月话费多扣了10元")],
            complaint(3, "营业厅办理携号转网被拒", line=None, phone="13912345678"),
            {
                "external_id": "F-77",
                "source": "fault",
                "type": "fault",
                "line_id": "QY0000000004",
                "received_at": "2026-11-02T08:00:00+08:00",
                "text": "光猫红灯闪烁，无法上网",
                "department": "装维部",
            },
        ],
    )
    out = center.ok("intake", "--idle-exit", "1", now=NOW)
    assert "3 messages read, 4 tickets taken in (4 dispatched), 0 already taken, 0 refused" in out
    assert [(o["external_id"], o["state"]) for o in complaint_orders(center)] == [
        ("CRM-1", "assigned"),
        ("CRM-2", "assigned"),
        ("CRM-3", "assigned"),
    ]
    assert {via for _, via in taken_tickets(center)} == {"broker"}
    assert (depth(queue), depth(queue + ".dead")) == (0, 0)


def test_a_bad_message_is_dead_lettered_with_its_problems_and_the_good_tickets_are_taken(
    center: Center, queue: str, caplog: pytest.LogCaptureFixture
) -> None:
    mixed = [
        complaint(1, "投诉装维人员上门迟到两小时"),
        complaint(2, "表扬客服态度好", type="praise"),
        {k: v for k, v in complaint(3, "5G信号弱").items() if k != "received_at"},
        "CRM-5 宽带无法拨号",
    ]
    cut_short = '{"external_id": "CRM-9", "text": "断网'.encode()
    stream.publish(BROKER, queue, [cut_short, mixed])
    stream.publish(BROKER, queue, [complaint(4, "IPTV频繁卡顿")])

    out = center.ok("intake", "--idle-exit", "1", now=NOW)
    assert "2 tickets taken in (2 dispatched), 0 already taken, 4 refused" in out
    assert "2 messages dead-lettered" in out
    assert [o["external_id"] for o in complaint_orders(center)] == ["CRM-1", "CRM-4"]

    (broken_headers, broken), (mixed_headers, body) = dead_letters(queue)
    assert broken == cut_short
    [whole] = broken_headers[stream.PROBLEMS]
    assert (whole["row"], whole["field"]) == (0, "message")
    assert whole["message"].startswith("is not UTF-8 JSON")
    assert broken_headers[stream.ROWS_TAKEN] == []

    assert json.loads(body) == mixed  # as it came, so that it may be corrected and resent
    problems = [(p["row"], p["field"], p["message"]) for p in mixed_headers[stream.PROBLEMS]]
    assert problems == [
        (
            2,
            "type",
            "'praise' is no ticket type of config.toml [tickets]; types: complaint, fault",
        ),
        (3, "received_at", "is empty; every ticket needs it"),
        (
            4,
            "ticket",
            "is a string, not an object of the fields external_id, source, type, line_id, "
            "phone, received_at, text, department",
        ),
    ]
    assert mixed_headers[stream.ROWS_TAKEN] == [1]
    logged = [r.getMessage() for r in caplog.records if "dead-lettered" in r.getMessage()]
    assert len(logged) == 2 and "row 2, type: 'praise'" in logged[1]
    assert depth(queue) == 0


def test_the_same_ticket_published_twice_is_taken_once(center: Center, queue: str) -> None:
    ticket = complaint(1, "宽带晚上经常掉线")
    stream.publish(BROKER, queue, [ticket, ticket])
    first = center.ok("intake", "--idle-exit", "1", now=NOW)
    assert "2 messages read, 1 ticket taken in (1 dispatched), 1 already taken" in first

    stream.publish(BROKER, queue, [ticket])
    again = center.ok("intake", "--idle-exit", "1", now=NOW)
    assert "1 message read, 0 tickets taken in (0 dispatched), 1 already taken, 0 refused" in again
    assert taken_tickets(center) == [("CRM-1", "broker")]
    assert len(complaint_orders(center)) == 1


# `engine intake` that hangs once a batch's transaction committed, before its acknowledgement,
# having said so in the file named by its first argument.
HANG_AFTER_COMMIT = """
import sys, time
from pathlib import Path
from outbound.cli import main
from outbound.orders import intake

take_rows = intake.take_rows

def committed_then_hang(*args, **kwargs):
    take_rows(*args, **kwargs)
    Path(sys.argv[1]).touch()
    time.sleep(600)

intake.take_rows = committed_then_hang
main(sys.argv[2:])
"""


def test_a_consumer_killed_after_its_commit_and_before_its_ack_doubles_no_ticket(
    center: Center, queue: str, tmp_path: Path
) -> None:
    stream.publish(BROKER, queue, [[complaint(1, "宽带晚上经常掉线"), complaint(2, "话费多扣")]])
    committed = tmp_path / "committed"
    consumer = subprocess.Popen(
        [
            *(sys.executable, "-c", HANG_AFTER_COMMIT, str(committed)),
            *("--workspace", str(center.folder), "--now", NOW, "intake"),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(committed.exists, "the consumer's commit")
        assert [t for t, _ in taken_tickets(center)] == ["CRM-1", "CRM-2"]
    finally:
        consumer.kill()  # SIGKILL: no acknowledgement, no clean close
        consumer.wait(10)
    # The broker hands the unacknowledged message over again once it sees the connection gone.
    wait_for(lambda: depth(queue) == 1, "the message's return to the queue")

    out = center.ok("intake", "--idle-exit", "1", now=NOW)
    assert "1 message read, 0 tickets taken in (0 dispatched), 2 already taken, 0 refused" in out
    assert [t for t, _ in taken_tickets(center)] == ["CRM-1", "CRM-2"]
    assert len(complaint_orders(center)) == 2
    assert (depth(queue), depth(queue + ".dead")) == (0, 0)


class Proxy:
    """A TCP proxy to the broker whose connections the test can cut."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            broker = socket.create_connection(("127.0.0.1", 5672))
            self.open += [client, broker]
            for source, target in ((client, broker), (broker, client)):
                threading.Thread(target=self._pipe, args=(source, target), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        for each in (source, target):
            each.close()

    def cut(self) -> int:
        """Close every connection open through the proxy; how many there were."""
        cut, self.open = [s for s in self.open if s.fileno() != -1], []
        for each in cut:
            with contextlib.suppress(OSError):  # its pipe may have closed it meanwhile
                each.shutdown(socket.SHUT_RDWR)
            each.close()
        return len(cut) // 2

    def close(self) -> None:
        self.listener.close()
        self.cut()


def test_a_consumer_that_loses_the_broker_connects_again_and_goes_on(
    center: Center, queue: str
) -> None:
    proxy = Proxy()
    environ = {
        **os.environ,
        "ENGINE_INTAKE_URL": f"amqp://guest:guest@127.0.0.1:{proxy.port}/%2F",
        "PYTHONUNBUFFERED": "1",
    }
    consumer = subprocess.Popen(
        [
            *(sys.executable, str(ROOT / "engine.py"), "--workspace", str(center.folder)),
            *("--now", NOW, "intake"),
        ],
        cwd=ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue_.Queue[str] = queue_.Queue()
    assert consumer.stdout is not None
    reader = threading.Thread(target=lambda: [lines.put(line) for line in consumer.stdout])
    reader.start()
    try:
        stream.publish(BROKER, queue, [complaint(1, "宽带晚上经常掉线")])
        # The first batch's line comes after its acknowledgement left the consumer; a moment
        # more lets the proxy hand it on, so that the cut finds no message in flight.
        assert lines.get(timeout=30).startswith("1 message read, 1 ticket taken in")
        time.sleep(0.5)
        assert proxy.cut() == 1
        stream.publish(BROKER, queue, [complaint(2, "断网三天无人处理")])
        wait_for(lambda: len(taken_tickets(center)) == 2, "the intake after reconnecting")
        consumer.send_signal(signal.SIGTERM)
        consumer.wait(30)
    finally:
        consumer.kill()
        proxy.close()
        reader.join(10)
    assert consumer.stderr is not None
    err = consumer.stderr.read()
    assert consumer.returncode == 0, err
    assert f"lost the broker at 127.0.0.1:{proxy.port} (vhost /)" in err
    assert "guest:guest" not in err
    assert list(lines.queue)[-1].rstrip() == (
        "2 messages read, 2 tickets taken in (2 dispatched), 0 already taken, 0 refused, "
        "0 messages dead-lettered"
    )
    assert [o["external_id"] for o in complaint_orders(center)] == ["CRM-1", "CRM-2"]
    assert depth(queue) == 0


def test_an_unreachable_broker_is_named_without_its_password(
    center: Center, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("ENGINE_INTAKE_URL", f"amqp://intake:s3cret@127.0.0.1:{port}/%2F")
    err = center.refused("intake", "--idle-exit", "1", now=NOW)
    assert f"no broker answers at 127.0.0.1:{port} (vhost /)" in err
    assert "start RabbitMQ there" in err
    assert "s3cret" not in err
