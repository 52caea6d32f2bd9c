"""Agents, absences, suppressions, daily runs, work orders and their events."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agents",
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("team", sa.String(length=128), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("seniority", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("supervisor", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("agent_id", name=op.f("pk_agents")),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_order_id"), ["order_id"], unique=False)

    op.create_table(
        "list_items",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("campaign", sa.String(length=128), nullable=False),
        sa.Column("new", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("day", "order_id", name=op.f("pk_list_items")),
    )
    with op.batch_alter_table("list_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_list_items_agent_id"), ["agent_id"], unique=False)

    op.create_table(
        "runs",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_runs")),
    )
    op.create_table(
        "suppressions",
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("line_id", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=256), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("phone", name=op.f("pk_suppressions")),
    )
    op.create_table(
        "work_orders",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("campaign", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("line_id", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("owner_id", sa.String(length=64), nullable=True),
        sa.Column("returned_by", sa.String(length=64), nullable=True),
        sa.Column("department", sa.String(length=128), nullable=True),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("region", sa.String(length=128), nullable=True),
        sa.Column("rank", sa.BigInteger(), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_on", sa.Date(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("callback_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_contact_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("warned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_code", sa.String(length=64), nullable=True),
        sa.Column("result", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_orders")),
        sa.UniqueConstraint(
            "campaign", "channel", "line_id", "month", name=op.f("uq_work_orders_campaign")
        ),
    )
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.create_index("ix_work_orders_line_id", ["line_id"], unique=False)
        batch_op.create_index("ix_work_orders_state_agent", ["state", "agent_id"], unique=False)

    op.create_table(
        "absences",
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=256), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.agent_id"], name=op.f("fk_absences_agent_id_agents")
        ),
        sa.PrimaryKeyConstraint("agent_id", "day", name=op.f("pk_absences")),
    )


def downgrade() -> None:
    op.drop_table("absences")
    with op.batch_alter_table("work_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_work_orders_state_agent")
        batch_op.drop_index("ix_work_orders_line_id")

    op.drop_table("work_orders")
    op.drop_table("suppressions")
    op.drop_table("runs")
    with op.batch_alter_table("list_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_list_items_agent_id"))

    op.drop_table("list_items")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_order_id"))

    op.drop_table("events")
    op.drop_table("agents")
