"""Tickets from other systems, taken in once by (source, external id), each becoming a work
order of its type. A line may hold several tickets' orders in a month, so the one-order-a-month
rule holds for campaigns' orders only. Orders past their deadline go up (escalated_to); late
outcomes are marked.

Re-callbacks after a department's reply are orders of the same campaign and line, so the
one-order-a-month rule holds for the orders a campaign starts: without a ticket or a parent."""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

CAMPAIGN_ONCE = ["campaign", "channel", "line_id", "month"]
ONCE_WHERE = "ticket_id IS NULL AND parent_id IS NULL"


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("line_id", sa.String(length=64), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("source", "external_id", name=op.f("uq_tickets_source")),
    )
    op.create_index("ix_tickets_received_at", "tickets", ["received_at"])
    with op.batch_alter_table("work_orders") as table:
        table.add_column(sa.Column("ticket_id", sa.BigInteger(), nullable=True))
        table.add_column(sa.Column("escalated_to", sa.String(length=64), nullable=True))
        table.drop_constraint("uq_work_orders_campaign", type_="unique")
    op.create_index(op.f("ix_work_orders_ticket_id"), "work_orders", ["ticket_id"])
    op.create_index(
        "uq_work_orders_campaign",
        "work_orders",
        CAMPAIGN_ONCE,
        unique=True,
        sqlite_where=sa.text(ONCE_WHERE),
        postgresql_where=sa.text(ONCE_WHERE),
    )
    with op.batch_alter_table("events") as table:
        table.add_column(sa.Column("late", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events") as table:
        table.drop_column("late")
    op.drop_index("uq_work_orders_campaign", table_name="work_orders")
    op.drop_index(op.f("ix_work_orders_ticket_id"), table_name="work_orders")
    op.execute("DELETE FROM work_orders WHERE ticket_id IS NOT NULL OR parent_id IS NOT NULL")
    with op.batch_alter_table("work_orders") as table:
        table.drop_column("escalated_to")
        table.drop_column("ticket_id")
        table.create_unique_constraint("uq_work_orders_campaign", CAMPAIGN_ONCE)
    op.drop_index("ix_tickets_received_at", table_name="tickets")
    op.drop_table("tickets")
