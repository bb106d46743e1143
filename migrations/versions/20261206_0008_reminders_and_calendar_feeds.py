"""reminder emails (each person's choice, what was sent on which day) and private calendar feeds
(issue 19)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 19:29:36

"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "reminders_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=120), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_reminders_sent_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders_sent")),
        sa.UniqueConstraint("user_id", "item", "sent_on", name=op.f("uq_reminders_sent_user_id_item_sent_on")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        # Everyone already here gets the default, weekly; the model sets it for new people.
        batch_op.add_column(
            sa.Column(
                "reminder_frequency",
                sa.Enum(
                    "daily",
                    "weekly",
                    "none",
                    name="reminderfrequency",
                    native_enum=False,
                    create_constraint=True,
                    length=20,
                ),
                nullable=False,
                server_default="weekly",
            )
        )
        batch_op.add_column(sa.Column("reminders_last_sent_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("calendar_token", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_users_calendar_token"), ["calendar_token"])
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("reminder_frequency", server_default=None)


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_calendar_token"), type_="unique")
        batch_op.drop_column("calendar_token")
        batch_op.drop_column("reminders_last_sent_at")
        batch_op.drop_constraint(op.f("ck_users_reminderfrequency"), type_="check")
        batch_op.drop_column("reminder_frequency")
    op.drop_table("reminders_sent")
