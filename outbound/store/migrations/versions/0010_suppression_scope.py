"""A suppression has a scope: the channel (sms, voice, call) and the purpose (marketing,
service) it bars, "*" for every one; a number may hold several.

Earlier rows barred everything. They are given the scope their reason has now: an opt-out by
SMS bars marketing on every channel; a number Twilio called a landline or not a mobile (21614,
30006) bars SMS alone; the rest, every channel and purpose."""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_COLUMNS = ("phone", "reason", "line_id", "source", "note", "created_at")


def _table(name: str, scoped: bool) -> None:
    scope = (
        [
            sa.Column("channel", sa.String(length=8), nullable=False),
            sa.Column("purpose", sa.String(length=16), nullable=False),
        ]
        if scoped
        else []
    )
    keys = ("phone", "channel", "purpose") if scoped else ("phone",)
    op.create_table(
        name,
        sa.Column("phone", sa.String(length=32), nullable=False),
        *scope,
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("line_id", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=256), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(*keys, name=op.f("pk_suppressions")),
    )


def _set_aside(name: str) -> None:
    """Rename the table to NAME; on PostgreSQL its key's name too, which the new one takes."""
    op.rename_table("suppressions", name)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {name} RENAME CONSTRAINT pk_suppressions TO pk_{name}")


def upgrade() -> None:
    _set_aside("suppressions_unscoped")
    _table("suppressions", scoped=True)
    columns = ", ".join(_COLUMNS)
    op.execute(
        f"INSERT INTO suppressions (channel, purpose, {columns}) SELECT "
        "CASE WHEN reason = 'wrong_number' AND (note LIKE '%21614%' OR note LIKE '%30006%') "
        "THEN 'sms' ELSE '*' END, "
        "CASE WHEN reason = 'opt_out' THEN 'marketing' ELSE '*' END, "
        f"{columns} FROM suppressions_unscoped"
    )
    op.drop_table("suppressions_unscoped")


def downgrade() -> None:
    _set_aside("suppressions_scoped")
    _table("suppressions", scoped=False)
    columns = ", ".join(_COLUMNS)
    # One row a number again: its first suppression, whatever its scope.
    op.execute(
        f"INSERT INTO suppressions ({columns}) SELECT {columns} FROM suppressions_scoped s "
        "WHERE NOT EXISTS (SELECT 1 FROM suppressions_scoped e WHERE e.phone = s.phone AND "
        "(e.created_at < s.created_at OR (e.created_at = s.created_at AND "
        "e.channel || e.purpose < s.channel || s.purpose)))"
    )
    op.drop_table("suppressions_scoped")
