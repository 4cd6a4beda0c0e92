"""Watch rules: per-household rule settings, contact quiet hours, alert escalation state.

Revision ID: 0004_watch
Revises: 0003_disaster
Create Date: 2026-11-26 21:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_watch"
down_revision: str | None = "0003_disaster"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "household_watch_rules",
        sa.Column("household_id", sa.String(length=64), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_household_watch_rules_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("household_id", name=op.f("pk_household_watch_rules")),
    )
    op.create_table(
        "contact_quiet_hours",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("start", sa.String(length=5), nullable=False),
        sa.Column("end", sa.String(length=5), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_contact_quiet_hours_contact_id_contacts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_contact_quiet_hours")),
    )
    op.create_table(
        "alert_escalations",
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("next_step_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_reminder_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_alert_escalations_alert_id_alerts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("alert_id", name=op.f("pk_alert_escalations")),
    )
    op.create_index(op.f("ix_alert_escalations_next_step_at"), "alert_escalations", ["next_step_at"], unique=False)
    op.create_index(
        op.f("ix_alert_escalations_next_reminder_at"), "alert_escalations", ["next_reminder_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_alert_escalations_next_reminder_at"), table_name="alert_escalations")
    op.drop_index(op.f("ix_alert_escalations_next_step_at"), table_name="alert_escalations")
    op.drop_table("alert_escalations")
    op.drop_table("contact_quiet_hours")
    op.drop_table("household_watch_rules")
