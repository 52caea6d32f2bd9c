"""An agent's list of a day is read on every page load: index it by (agent_id, day). Left to
the primary key (day, order_id), SQLite scanned the whole day's lists of every agent."""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("list_items") as batch_op:
        batch_op.drop_index("ix_list_items_agent_id")
        batch_op.create_index("ix_list_items_agent_id_day", ["agent_id", "day"])


def downgrade() -> None:
    with op.batch_alter_table("list_items") as batch_op:
        batch_op.drop_index("ix_list_items_agent_id_day")
        batch_op.create_index("ix_list_items_agent_id", ["agent_id"])
