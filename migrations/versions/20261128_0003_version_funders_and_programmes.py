"""version funders and programmes, so their edits are conflict-safe like the rest

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 19:54:44

"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    # Existing rows start at version 1, as new ones do.
    for table in ("funders", "programmes"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade():
    for table in ("programmes", "funders"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("version")
