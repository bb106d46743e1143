"""ledger codes on streams and saved import profiles, so extracts can be imported as the ledger
prints them (issue 17)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 10:30:54.599154

"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("date_column", sa.String(length=120), nullable=False),
        sa.Column("amount_column", sa.String(length=120), nullable=False),
        sa.Column("code_columns", sa.Text(), nullable=False),
        sa.Column("reference_column", sa.String(length=120), nullable=False),
        sa.Column("description_column", sa.String(length=120), nullable=False),
        sa.Column("site_column", sa.String(length=120), nullable=False),
        sa.Column("income_negative", sa.Boolean(), nullable=False),
        sa.Column(
            "unmapped",
            sa.Enum(
                "skip", "refuse", name="unmappedlines", native_enum=False, create_constraint=True, length=20
            ),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_import_profiles_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_profiles")),
        sa.UniqueConstraint("name", name=op.f("uq_import_profiles_name")),
    )
    op.create_table(
        "stream_ledger_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stream_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["stream_id"],
            ["income_streams.id"],
            name=op.f("fk_stream_ledger_codes_stream_id_income_streams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stream_ledger_codes")),
        sa.UniqueConstraint("code", name=op.f("uq_stream_ledger_codes_code")),
    )
    with op.batch_alter_table("stream_ledger_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stream_ledger_codes_stream_id"), ["stream_id"], unique=False)

    with op.batch_alter_table("staged_uploads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profile_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_staged_uploads_profile_id_import_profiles"),
            "import_profiles",
            ["profile_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade():
    with op.batch_alter_table("staged_uploads", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_staged_uploads_profile_id_import_profiles"), type_="foreignkey"
        )
        batch_op.drop_column("profile_id")

    with op.batch_alter_table("stream_ledger_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stream_ledger_codes_stream_id"))

    op.drop_table("stream_ledger_codes")
    op.drop_table("import_profiles")
