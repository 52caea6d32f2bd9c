"""A work order has a version, one more with every change, so that the daily run and an agent
or a supervisor writing the same order at once never undo each other's change."""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("work_orders") as table:
        table.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("work_orders") as table:
        table.drop_column("version")
