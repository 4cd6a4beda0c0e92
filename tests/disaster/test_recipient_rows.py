"""Writing an alert's recipients in bulk: a device deleted meanwhile is left out, the rest are written."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy import select

from cloud.db.disaster import DisasterRecipient, ResidentDevice
from cloud.disaster_delivery import insert_recipients
from cloud.service import CloudService
from tests.disaster.conftest import ASAKUSA, register_device

NOW = datetime(2026, 9, 1, 7, 0, tzinfo=UTC)


def test_a_device_deleted_after_targeting_is_left_out_and_the_others_are_written(
    service: CloudService, api: httpx.Client, anonymous: httpx.Client
) -> None:
    """The ward's rows go in one chunk; one device deleted since it was found must not cost the others theirs."""
    tokens = [register_device(anonymous, language="ja", home={"lat": ASAKUSA[0], "lon": ASAKUSA[1]}) for _ in range(3)]
    draft = api.post("/api/v1/disaster/alerts", json={"hazard": "洪水", "area": {"municipalities": ["13106"]}})
    assert draft.status_code == 201, draft.text
    alert_id = int(draft.json()["id"])
    with service.sessions() as session:
        device_ids = list(session.scalars(select(ResidentDevice.id).order_by(ResidentDevice.id)))
    gone = anonymous.delete("/api/v1/residents/devices/me", headers={"Authorization": f"Bearer {tokens[1]}"})
    assert gone.status_code == 204
    rows = [
        {
            "alert_id": alert_id,
            "device_id": device_id,
            "person_id": None,
            "language": "ja",
            "lat": ASAKUSA[0],
            "lon": ASAKUSA[1],
            "shelter_id": None,
            "shelter_name": None,
            "shelter_distance_m": None,
            "created_at": NOW,
        }
        for device_id in device_ids
    ]

    ids = insert_recipients(service.sessions, rows)

    assert sorted(device for device, _ in ids) == [device_ids[0], device_ids[2]]
    with service.sessions() as session:
        written = session.execute(select(DisasterRecipient.id, DisasterRecipient.device_id)).all()
    assert sorted(written) == sorted((recipient_id, device) for (device, _), recipient_id in ids.items())
