"""An import counts the exact copies of rows it dropped, and keeps the mapping its snapshot was
made under, so that a snapshot made under another mapping is known as stale. Earlier imports
dropped no copies and their mapping is not known (NULL)."""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("extract_imports") as table:
        table.add_column(
            sa.Column("rows_duplicate", sa.BigInteger(), nullable=False, server_default="0")
        )
        table.add_column(sa.Column("mapping", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("extract_imports") as table:
        table.drop_column("mapping")
        table.drop_column("rows_duplicate")
