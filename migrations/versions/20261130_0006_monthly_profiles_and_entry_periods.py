"""monthly profiles (P1-P12) on budgets and the month period on income entries, so figures can be
as at any month end

Existing budgets get the default split of their quarters, exactly (DOMAIN.md: the first and second
months floor(q / 3), the third the rest); existing entries get the period of their date.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

MONTHS = [f"p{n}" for n in range(1, 13)]


def upgrade():
    with op.batch_alter_table("budgets", schema=None) as batch_op:
        for name in MONTHS:
            batch_op.add_column(sa.Column(name, sa.BigInteger(), nullable=True))
    # Integer division of non-negative integers is floor division on both databases.
    assignments = []
    for q in range(1, 5):
        first, second, third = (f"p{3 * q - 2}", f"p{3 * q - 1}", f"p{3 * q}")
        assignments += [f"{first} = q{q} / 3", f"{second} = q{q} / 3", f"{third} = q{q} - 2 * (q{q} / 3)"]
    op.execute(f"UPDATE budgets SET {', '.join(assignments)}")
    with op.batch_alter_table("budgets", schema=None) as batch_op:
        for name in MONTHS:
            batch_op.alter_column(name, existing_type=sa.BigInteger(), nullable=False)
        for q in range(1, 5):
            months = " + ".join(f"p{n}" for n in range(3 * q - 2, 3 * q + 1))
            batch_op.create_check_constraint(f"months_sum_to_q{q}", f"{months} = q{q}")

    with op.batch_alter_table("income_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("period", sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        month = "EXTRACT(MONTH FROM date_received)::integer"
    else:
        month = "CAST(strftime('%m', date_received) AS INTEGER)"
    op.execute(f"UPDATE income_entries SET period = (({month} + 8) % 12) + 1")
    with op.batch_alter_table("income_entries", schema=None) as batch_op:
        batch_op.alter_column("period", existing_type=sa.Integer(), nullable=False)
        batch_op.create_check_constraint(
            "period_valid", "period BETWEEN 1 AND 12 AND quarter = (period + 2) / 3"
        )
        batch_op.drop_index("ix_income_entries_year_quarter_stream")
        batch_op.create_index(
            "ix_income_entries_year_period_stream",
            ["financial_year", "period", "stream_id", "amount"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("income_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_income_entries_year_period_stream")
        batch_op.create_index(
            "ix_income_entries_year_quarter_stream",
            ["financial_year", "quarter", "stream_id", "amount"],
            unique=False,
        )
        batch_op.drop_constraint("period_valid", type_="check")
        batch_op.drop_column("period")
    with op.batch_alter_table("budgets", schema=None) as batch_op:
        for q in range(1, 5):
            batch_op.drop_constraint(f"months_sum_to_q{q}", type_="check")
        for name in reversed(MONTHS):
            batch_op.drop_column(name)
