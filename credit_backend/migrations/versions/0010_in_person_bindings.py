"""In-person identity checks at the counter as bindings (issue 11).

``bindings`` gains ``method`` (``otp``, the one-time code, for every existing row; ``in_person`` for a check
by a staff member at the counter) and ``identity_check`` (JSON: document type, last four characters of the
document number, letter of authorisation yes/no, the staff account, the time).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bindings") as batch:
        batch.add_column(sa.Column("method", sa.String(length=20), server_default="otp", nullable=False))
        batch.add_column(sa.Column("identity_check", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bindings") as batch:
        batch.drop_column("identity_check")
        batch.drop_column("method")
