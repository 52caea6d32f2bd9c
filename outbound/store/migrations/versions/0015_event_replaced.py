"""An outcome event keeps what it replaced (the order's values, and the follow-up, suppression
or survey it set off), so that the agent may undo it for a few minutes."""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events") as table:
        table.add_column(sa.Column("replaced", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events") as table:
        table.drop_column("replaced")
