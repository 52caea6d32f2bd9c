"""A job run's claim is a lease: the process that holds it (host and pid) beats a heartbeat while
it works, so that a claim whose process died is known, taken over and the job run again."""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job_runs") as table:
        table.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        table.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("job_runs") as table:
        table.drop_column("heartbeat_at")
        table.drop_column("pid")
