"""seed reference data: services, CIPFA lines, income categories, outcomes, RAG settings

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 19:40:00

The names are DOMAIN.md's, exactly. Later edits by admins are data, not schema: this migration
only inserts, and its downgrade removes just what it inserted.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SERVICES = ["Libraries", "Registration", "Archives"]

CIPFA_LINES = [
    "Overdue charges",
    "Reservation fees",
    "Lettings",
    "Hire of audio and visual materials",
    "Electronic revenue",
    "Specific grants",
    "Provision of library services to other local authorities",
    "Miscellaneous - receipts from the public",
    "Miscellaneous - corporate income",
]

# category, CIPFA line (or None), note where there is none
CATEGORIES = [
    ("Room and venue hire", "Lettings", ""),
    ("Printing and photocopying", "Miscellaneous - receipts from the public", ""),
    ("Reservation fees", "Reservation fees", ""),
    ("Overdue charges", "Overdue charges", ""),
    ("Audio-visual hire", "Hire of audio and visual materials", ""),
    ("E-revenue", "Electronic revenue", ""),
    ("Services to other authorities", "Provision of library services to other local authorities", ""),
    ("Sponsorship and partnerships", "Miscellaneous - corporate income", ""),
    ("Retail and cafe", "Miscellaneous - receipts from the public", ""),
    ("Events and learning", "Miscellaneous - receipts from the public", ""),
    ("Grant income", "Specific grants", ""),
    ("Ceremonies and certificates", None, "Registration"),
    ("Research and copying services", None, "Archives"),
    ("Other income", "Miscellaneous - corporate income", ""),
]

OUTCOMES = [
    "Cultural and creative enrichment",
    "Increased reading and literacy",
    "Improved digital access and literacy",
    "Helping everyone achieve their full potential",
    "Healthier and happier lives",
    "Greater prosperity",
    "Stronger, more resilient communities",
]

SETTINGS = [
    ("rag_red_basis_points", 500, "Red where the forecast shortfall is at least this share of the annual budget "
     "(basis points: 500 is 5%) or the amount below, whichever is lower"),
    ("rag_red_pence", 10_000_000, "Red where the forecast shortfall is at least this amount in pence "
     "(10,000,000 is £100,000) or the share above, whichever is lower"),
    ("rag_amber_basis_points", 200, "Amber where the forecast shortfall is at least this share of the annual "
     "budget (basis points: 200 is 2%)"),
]

services = sa.table("services", sa.column("id", sa.Integer), sa.column("name", sa.String), sa.column("active", sa.Boolean))
cipfa_lines = sa.table(
    "cipfa_lines", sa.column("id", sa.Integer), sa.column("name", sa.String), sa.column("position", sa.Integer)
)
categories = sa.table(
    "income_categories",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("cipfa_line_id", sa.Integer),
    sa.column("cipfa_note", sa.String),
    sa.column("active", sa.Boolean),
)
outcomes = sa.table(
    "outcomes", sa.column("id", sa.Integer), sa.column("name", sa.String), sa.column("position", sa.Integer)
)
settings = sa.table(
    "settings", sa.column("key", sa.String), sa.column("value", sa.Integer), sa.column("description", sa.String)
)


def upgrade():
    op.bulk_insert(services, [{"id": i, "name": name, "active": True} for i, name in enumerate(SERVICES, 1)])
    op.bulk_insert(cipfa_lines, [{"id": i, "name": name, "position": i} for i, name in enumerate(CIPFA_LINES, 1)])
    line_ids = {name: i for i, name in enumerate(CIPFA_LINES, 1)}
    op.bulk_insert(
        categories,
        [
            {"id": i, "name": name, "cipfa_line_id": line_ids.get(line), "cipfa_note": note, "active": True}
            for i, (name, line, note) in enumerate(CATEGORIES, 1)
        ],
    )
    op.bulk_insert(outcomes, [{"id": i, "name": name, "position": i} for i, name in enumerate(OUTCOMES, 1)])
    op.bulk_insert(settings, [{"key": k, "value": v, "description": d} for k, v, d in SETTINGS])
    if op.get_bind().dialect.name == "postgresql":
        # Explicit ids above leave the sequences at 1: move them past the seeded rows.
        for table in ("services", "cipfa_lines", "income_categories", "outcomes"):
            op.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")


def downgrade():
    op.execute(settings.delete().where(settings.c.key.in_([k for k, _, _ in SETTINGS])))
    op.execute(outcomes.delete().where(outcomes.c.name.in_(OUTCOMES)))
    op.execute(categories.delete().where(categories.c.name.in_([c[0] for c in CATEGORIES])))
    op.execute(cipfa_lines.delete().where(cipfa_lines.c.name.in_(CIPFA_LINES)))
    op.execute(services.delete().where(services.c.name.in_(SERVICES)))
