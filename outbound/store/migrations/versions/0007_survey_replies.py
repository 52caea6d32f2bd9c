"""The survey after a reached call: the outbox marks its question with the scale asked (indexed
by phone, where replies are matched), and the replies customers send back."""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("survey", sa.String(length=16), nullable=True))
        batch_op.create_index(
            "ix_outbox_survey_phone",
            ["phone"],
            unique=False,
            sqlite_where=sa.text("survey IS NOT NULL"),
            postgresql_where=sa.text("survey IS NOT NULL"),
        )

    op.create_table(
        "survey_replies",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("outbox_id", sa.BigInteger(), nullable=False),
        sa.Column("campaign", sa.String(length=128), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("line_id", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("scale", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_replies")),
        sa.UniqueConstraint("provider_id", name=op.f("uq_survey_replies_provider_id")),
    )
    with op.batch_alter_table("survey_replies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_replies_order_id"), ["order_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("survey_replies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_replies_order_id"))

    op.drop_table("survey_replies")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_survey_phone")
        batch_op.drop_column("survey")
