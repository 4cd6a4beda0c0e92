"""Disaster messages stored once, deliveries pointing at them; one redundant recipient index fewer.

A fan-out wrote the whole composed message into each of its 200,000 delivery rows; now each
distinct message is a disaster_messages row and a delivery names it (message_id). Deliveries
queued before keep their own title/body/payload (message_id NULL) and are sent as they were.
ix_disaster_recipients_alert_id goes: both unique constraints of the table lead with alert_id.
The due index of deliveries keeps pending rows only (claim and record write less).

Revision ID: 0007_disaster_messages
Revises: 0006_tag_presence
Create Date: 2026-11-27 01:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cloud.db.models

revision: str = "0007_disaster_messages"
down_revision: str | None = "0006_tag_presence"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "disaster_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", cloud.db.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["disaster_alerts.id"],
            name=op.f("fk_disaster_messages_alert_id_disaster_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disaster_messages")),
    )
    op.create_index(op.f("ix_disaster_messages_alert_id"), "disaster_messages", ["alert_id"], unique=False)
    with op.batch_alter_table("disaster_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_disaster_deliveries_message_id_disaster_messages"),
            "disaster_messages",
            ["message_id"],
            ["id"],
            ondelete="CASCADE",
        )
    op.drop_index(op.f("ix_disaster_recipients_alert_id"), table_name="disaster_recipients")
    # the due index keeps pending rows only: claiming and recording a delivery write less
    op.drop_index("ix_disaster_deliveries_due", table_name="disaster_deliveries")
    op.create_index(
        "ix_disaster_deliveries_due",
        "disaster_deliveries",
        ["next_attempt_at", "id"],
        unique=False,
        sqlite_where=sa.text("state = 'pending'"),
        postgresql_where=sa.text("state = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("ix_disaster_deliveries_due", table_name="disaster_deliveries")
    op.create_index("ix_disaster_deliveries_due", "disaster_deliveries", ["state", "next_attempt_at"], unique=False)
    op.create_index(op.f("ix_disaster_recipients_alert_id"), "disaster_recipients", ["alert_id"], unique=False)
    # deliveries that only name their message get it back in their own columns
    payload = "(SELECT m.payload FROM disaster_messages m WHERE m.id = disaster_deliveries.message_id)"
    if op.get_bind().dialect.name != "sqlite":
        payload = f"CAST({payload} AS JSON)"
    op.execute(
        "UPDATE disaster_deliveries SET title = (SELECT m.title FROM disaster_messages m"
        " WHERE m.id = disaster_deliveries.message_id),"
        " body = (SELECT m.body FROM disaster_messages m WHERE m.id = disaster_deliveries.message_id),"
        f" payload = {payload} WHERE message_id IS NOT NULL"
    )
    with op.batch_alter_table("disaster_deliveries", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_disaster_deliveries_message_id_disaster_messages"), type_="foreignkey")
        batch_op.drop_column("message_id")
    op.drop_index(op.f("ix_disaster_messages_alert_id"), table_name="disaster_messages")
    op.drop_table("disaster_messages")
