"""An outcome's reason, note and callback time as columns of its event, not as text in detail.

Earlier outcome events wrote detail as "reason: R; note: N; callback at T" (each part
optional): their reason and note move to the new columns. Their callback time was written in
the workspace's local time, which this migration cannot know, so "callback at T" stays in
detail as it was; new events keep it in callback_at."""

import re

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_OLD_DETAIL = re.compile(
    r"(?:reason: (?P<reason>.*?))?(?:(?:; )?note: (?P<note>.*?))?"
    r"(?:(?:; )?(?P<callback>callback at \d{4}-\d\d-\d\d \d\d:\d\d))?",
    re.DOTALL,
)
_EVENTS = sa.table(
    "events",
    sa.column("id", sa.BigInteger()),
    sa.column("kind", sa.String()),
    sa.column("detail", sa.Text()),
    sa.column("reason", sa.String()),
    sa.column("note", sa.Text()),
    sa.column("callback_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    with op.batch_alter_table("events") as batch_op:
        batch_op.add_column(sa.Column("reason", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("callback_at", sa.DateTime(timezone=True), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_EVENTS.c.id, _EVENTS.c.detail).where(
            _EVENTS.c.kind == "outcome", _EVENTS.c.detail.is_not(None)
        )
    ).all()
    moved = [
        {
            "event": row.id,
            "reason": parts["reason"],
            "note": parts["note"],
            "rest": parts["callback"],
        }
        for row in rows
        if (parts := _OLD_DETAIL.fullmatch(row.detail)) is not None
    ]
    if moved:
        connection.execute(
            sa.update(_EVENTS)
            .where(_EVENTS.c.id == sa.bindparam("event"))
            .values(
                reason=sa.bindparam("reason"),
                note=sa.bindparam("note"),
                detail=sa.bindparam("rest"),
            ),
            moved,
        )


def downgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_EVENTS).where(
            _EVENTS.c.kind == "outcome",
            sa.or_(
                _EVENTS.c.reason.is_not(None),
                _EVENTS.c.note.is_not(None),
                _EVENTS.c.callback_at.is_not(None),
            ),
        )
    ).all()
    # The callback time goes back in UTC: the workspace's timezone is not known here either.
    written = [
        {
            "event": row.id,
            "joined": "; ".join(
                part
                for part in (
                    row.reason and f"reason: {row.reason}",
                    row.note and f"note: {row.note}",
                    row.callback_at and f"callback at {row.callback_at:%Y-%m-%d %H:%M}",
                    row.detail,
                )
                if part
            ),
        }
        for row in rows
    ]
    if written:
        connection.execute(
            sa.update(_EVENTS)
            .where(_EVENTS.c.id == sa.bindparam("event"))
            .values(detail=sa.bindparam("joined")),
            written,
        )
    with op.batch_alter_table("events") as batch_op:
        batch_op.drop_column("callback_at")
        batch_op.drop_column("note")
        batch_op.drop_column("reason")
