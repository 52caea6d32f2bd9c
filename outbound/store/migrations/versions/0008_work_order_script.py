"""Which script, and which version of it, each work order's text came from: `name@digest`, so
that a month's lift can be read per script (variants of an A/B test, or edits of one file)."""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("work_orders") as batch_op:
        batch_op.add_column(sa.Column("script_version", sa.String(length=160), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("work_orders") as batch_op:
        batch_op.drop_column("script_version")
