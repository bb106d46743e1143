"""a bid's probability as dated history, the library service marked rather than named,
commentary that is not a forecast, versions on reference data (issue 26), and reminders claimed
before they are sent (issue 32)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 16:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "bid_probabilities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bid_id", sa.Integer(), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("probability BETWEEN 0 AND 100", name=op.f("ck_bid_probabilities_probability_percent")),
        sa.ForeignKeyConstraint(
            ["bid_id"], ["grant_bids.id"], name=op.f("fk_bid_probabilities_bid_id_grant_bids"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bid_probabilities")),
    )
    op.create_index(op.f("ix_bid_probabilities_bid_id"), "bid_probabilities", ["bid_id"], unique=False)
    # Each bid's probability so far stands from its first dated step (or the day it was recorded).
    op.execute(
        """
        INSERT INTO bid_probabilities (bid_id, probability, "on", recorded_at)
        SELECT b.id, b.probability,
               COALESCE((SELECT MIN(c.changed_on) FROM bid_status_changes c WHERE c.bid_id = b.id),
                        CAST(b.created_at AS DATE)),
               CURRENT_TIMESTAMP
        FROM grant_bids b
        """
    )

    # A plain ADD COLUMN: a batch copy of services would be refused by the tables referring to it.
    op.add_column(
        "services", sa.Column("library_statistics", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    # The seeded library service (whatever it has been renamed since) is the first seeded one.
    op.execute("UPDATE services SET library_statistics = TRUE WHERE id = (SELECT MIN(id) FROM services)")
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("services", "library_statistics", server_default=None)
    op.create_index(
        "uq_services_library_statistics",
        "services",
        ["library_statistics"],
        unique=True,
        sqlite_where=sa.text("library_statistics"),
        postgresql_where=sa.text("library_statistics"),
    )

    with op.batch_alter_table("forecasts", schema=None) as batch_op:
        batch_op.alter_column("outturn", existing_type=sa.BigInteger(), nullable=True)

    # Reminders are claimed before they are sent, and marked delivered after; those already
    # recorded were delivered.
    op.add_column("reminders_sent", sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE reminders_sent SET delivered_at = sent_at")

    # A preview remembers the version of the profile it was read with.
    op.add_column("staged_uploads", sa.Column("profile_version", sa.Integer(), nullable=True))

    # Reference data is versioned like the rest, so a stale edit of it is refused too.
    for table in ("services", "sites", "income_categories", "users"):
        op.add_column(table, sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade():
    op.drop_column("staged_uploads", "profile_version")
    op.drop_column("reminders_sent", "delivered_at")
    for table in ("users", "income_categories", "sites", "services"):
        op.drop_column(table, "version")
    op.execute("DELETE FROM forecasts WHERE outturn IS NULL")
    with op.batch_alter_table("forecasts", schema=None) as batch_op:
        batch_op.alter_column("outturn", existing_type=sa.BigInteger(), nullable=False)
    op.drop_index("uq_services_library_statistics", table_name="services")
    op.drop_column("services", "library_statistics")
    op.drop_index(op.f("ix_bid_probabilities_bid_id"), table_name="bid_probabilities")
    op.drop_table("bid_probabilities")
