"""Trackers and safe zones: trackers of watched people, their zones, location consents.

Revision ID: 0005_trackers
Revises: 0004_watch
Create Date: 2026-11-26 22:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_trackers"
down_revision: str | None = "0004_watch"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trackers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("household_id", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("gateway_id", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("not_back_by", sa.String(length=5), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_trackers_household_id_households"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_trackers_person_id_people"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trackers")),
        sa.UniqueConstraint("external_id", name=op.f("uq_trackers_external_id")),
        sa.UniqueConstraint("gateway_id", "device_id", name=op.f("uq_trackers_gateway_id")),
    )
    op.create_index(op.f("ix_trackers_household_id"), "trackers", ["household_id"], unique=False)
    op.create_table(
        "location_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tracker_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("granted_by", sa.String(length=200), nullable=False),
        sa.Column("basis", sa.String(length=500), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tracker_id"], ["trackers.id"], name=op.f("fk_location_consents_tracker_id_trackers"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_location_consents_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_location_consents")),
    )
    op.create_index(op.f("ix_location_consents_tracker_id"), "location_consents", ["tracker_id"], unique=False)
    op.create_table(
        "safe_zones",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("tracker_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("center_lat", sa.Float(), nullable=True),
        sa.Column("center_lon", sa.Float(), nullable=True),
        sa.Column("radius_m", sa.Float(), nullable=True),
        sa.Column("polygon", sa.JSON(), nullable=True),
        sa.Column("active_from", sa.String(length=5), nullable=True),
        sa.Column("active_to", sa.String(length=5), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tracker_id"], ["trackers.id"], name=op.f("fk_safe_zones_tracker_id_trackers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safe_zones")),
    )
    op.create_index(op.f("ix_safe_zones_tracker_id"), "safe_zones", ["tracker_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_safe_zones_tracker_id"), table_name="safe_zones")
    op.drop_table("safe_zones")
    op.drop_index(op.f("ix_location_consents_tracker_id"), table_name="location_consents")
    op.drop_table("location_consents")
    op.drop_index(op.f("ix_trackers_household_id"), table_name="trackers")
    op.drop_table("trackers")
