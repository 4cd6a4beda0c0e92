"""An entity store on a temp SQLite file with one watched household and its contacts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts import AlertSignal, RuleName, Severity
from cloud.db import Base, Contact, ContactChannel, Household, Notification, Person, create_db_engine

HOUSEHOLD = "taito-0001"
NOW = datetime(2026, 11, 26, 0, 5, tzinfo=UTC)  # Thursday 09:05 in Tokyo


@dataclass
class ContactSpec:
    name: str
    role: str
    urls: list[str] = field(default_factory=list)
    language: str = "ja"
    priority: int = 0


def entity_store(tmp_path: Path, url: str | None = None) -> sessionmaker[Session]:
    """Create the schema (in a new SQLite file unless `url` names a database) and return a session factory."""
    engine = create_db_engine(url or f"sqlite:///{tmp_path / 'mimamori.db'}")
    Base.metadata.create_all(engine)
    return sessionmaker(bind=engine)


def add_home(sessions: sessionmaker[Session], contacts: list[ContactSpec], *, household_id: str = HOUSEHOLD) -> None:
    """Register the household of 山田 花子 with the given contacts."""
    with sessions() as session:
        session.add(
            Household(
                id=household_id,
                name="山田家",
                address="台東区東上野4-5-6",
                created_at=NOW,
                people=[Person(name="山田 花子")],
                contacts=[
                    Contact(
                        name=spec.name,
                        role=spec.role,
                        language=spec.language,
                        priority=spec.priority,
                        channels=[ContactChannel(apprise_url=url, position=i) for i, url in enumerate(spec.urls)],
                    )
                    for spec in contacts
                ],
            )
        )
        session.commit()


def signal(
    rule: RuleName = RuleName.EMERGENCY_BUTTON,
    action: str = "raise",
    *,
    household_id: str = HOUSEHOLD,
    facts: dict[str, str | int | float | bool | None] | None = None,
) -> AlertSignal:
    """Return a rule signal as the engine would give it."""
    severity = {RuleName.EMERGENCY_BUTTON: Severity.CRITICAL, RuleName.INACTIVITY: Severity.HIGH}.get(
        rule, Severity.MEDIUM
    )
    return AlertSignal(
        action="raise" if action == "raise" else "clear",
        household_id=household_id,
        rule=rule,
        severity=severity,
        at=NOW,
        facts=facts if facts is not None else {"pressed_at": NOW.isoformat(), "device_id": "btn-1", "room": "寝室"},
    )


def notifications(sessions: sessionmaker[Session]) -> list[tuple[str, str, str]]:
    """Return (contact name, purpose, title) of every queued notification, in order."""
    with sessions() as session:
        rows = session.execute(
            select(Contact.name, Notification.purpose, Notification.title)
            .join(Contact, Contact.id == Notification.contact_id)
            .order_by(Notification.id)
        ).all()
        return [(name, purpose, title) for name, purpose, title in rows]
