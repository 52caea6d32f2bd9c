"""Snapshots and reject lists are named by their key in the store ([storage], var/ by
default) rather than by a path under the workspace: "var/snapshots/..." becomes
"snapshots/...", the same file."""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

IMPORTS = sa.table(
    "extract_imports", sa.column("snapshot_path", sa.String), sa.column("reject_path", sa.String)
)


def upgrade() -> None:
    for column in ("snapshot_path", "reject_path"):
        field = IMPORTS.c[column]
        op.execute(
            IMPORTS.update()
            .where(field.like("var/%"))
            .values({column: sa.func.substr(field, len("var/") + 1)})
        )


def downgrade() -> None:
    for column in ("snapshot_path", "reject_path"):
        field = IMPORTS.c[column]
        op.execute(IMPORTS.update().where(field.is_not(None)).values({column: "var/" + field}))
