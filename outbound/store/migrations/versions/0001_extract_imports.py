"""The catalogue of imported extracts."""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "extract_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("source_path", sa.String(length=1024), nullable=False),
        sa.Column("source_size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_format", sa.String(length=16), nullable=False),
        sa.Column("encoding", sa.String(length=32), nullable=True),
        sa.Column("rows_read", sa.BigInteger(), nullable=False),
        sa.Column("rows_loaded", sa.BigInteger(), nullable=False),
        sa.Column("rows_rejected", sa.BigInteger(), nullable=False),
        sa.Column("snapshot_path", sa.String(length=1024), nullable=False),
        sa.Column("reject_path", sa.String(length=1024), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extract_imports")),
    )
    with op.batch_alter_table("extract_imports", schema=None) as batch_op:
        batch_op.create_index(
            "uq_extract_imports_current_month",
            ["month"],
            unique=True,
            sqlite_where=sa.text("replaced_at IS NULL"),
            postgresql_where=sa.text("replaced_at IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("extract_imports", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_extract_imports_current_month",
            sqlite_where=sa.text("replaced_at IS NULL"),
            postgresql_where=sa.text("replaced_at IS NULL"),
        )

    op.drop_table("extract_imports")
