"""jobs: downloads and imports too long for a request, run by the worker; the lines a staged
upload holds, so a long one is imported by a job (issue 32); whether a staged upload leaves out
its lines in locked quarters, and what an import said it did (issue 27)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 18:48:16.700149

"""

from alembic import op
import sqlalchemy as sa


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("back", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "done",
                "failed",
                "expired",
                name="jobstatus",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("mimetype", sa.String(length=120), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("result_url", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_jobs_attempts_not_negative")),
        sa.CheckConstraint("total >= 0", name=op.f("ck_jobs_total_not_negative")),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_jobs_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jobs_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_jobs_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_jobs_status"), ["status"], unique=False)
    with op.batch_alter_table("staged_uploads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lines", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("skip_locked", sa.Boolean(), server_default="0", nullable=False))
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("summary", sa.Text(), server_default="", nullable=False))


def downgrade():
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.drop_column("summary")
    with op.batch_alter_table("staged_uploads", schema=None) as batch_op:
        batch_op.drop_column("skip_locked")
        batch_op.drop_column("lines")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_status"))
        batch_op.drop_index(batch_op.f("ix_jobs_owner_id"))
        batch_op.drop_index(batch_op.f("ix_jobs_created_at"))

    op.drop_table("jobs")
