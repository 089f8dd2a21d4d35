"""Saved plans: one row per plan, its files (outputs, inputs, derived tables) as bytes.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("accounts", sa.Integer),
        sa.Column("reps", sa.Float),
        sa.Column("cost", sa.Float),
        sa.Column("bookings", sa.Float),
        sa.Column("app_version", sa.String(40)),
        sa.Column("meta", sa.JSON, nullable=False),
    )
    op.create_table(
        "plan_files",
        sa.Column(
            "plan_id", sa.Integer, sa.ForeignKey("plans.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(32)),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("plan_id", "role", "name"),
    )


def downgrade() -> None:
    op.drop_table("plan_files")
    op.drop_table("plans")
