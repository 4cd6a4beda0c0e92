"""Preview latency: how long the operator waits for "who does this area reach" with 200,000 devices registered.

    .venv/bin/python -m bench.disaster_preview --devices 200000   # prints the figures

`preview_cold_ms` is the first preview after a start or a device change: the targeting indexes
are built from the database (what every preview cost before the cache). `preview_ms` is the
median of the previews after it, which reuse the cached indexes (maps.TargetingCache). The
area is the whole of Taito City; the homes are spread over Taito and its neighbours, so part of
them fall outside. `bench.disaster` runs this too and writes the figures with its own.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import tempfile
import time
from datetime import UTC, datetime
from typing import Any

import numpy as np

TAITO_CENTRE = (35.7127, 139.7800)
SPREAD_M = 3_000.0
RUNS = 7


def _insert_devices(sessions: Any, count: int, seed: int = 3) -> None:
    from sqlalchemy import insert

    from cloud.db.disaster import ResidentDevice

    rng = np.random.default_rng(seed)
    radius = SPREAD_M * np.sqrt(rng.uniform(0, 1, count))
    angle = rng.uniform(0, 2 * np.pi, count)
    lat = TAITO_CENTRE[0] + radius * np.sin(angle) / 111_000
    lon = TAITO_CENTRE[1] + radius * np.cos(angle) / (111_000 * np.cos(np.radians(TAITO_CENTRE[0])))
    now = datetime.now(UTC)
    rows = [
        {
            "token_hash": hashlib.sha256(f"preview-{index}".encode()).hexdigest(),
            "language": "ja",
            "home_lat": float(lat[index]),
            "home_lon": float(lon[index]),
            "live_opt_in": False,
            "apprise_urls": [],
            "created_at": now,
            "updated_at": now,
        }
        for index in range(count)
    ]
    for start in range(0, count, 20_000):
        with sessions.begin() as session:
            session.execute(insert(ResidentDevice), rows[start : start + 20_000])


def bench_preview(devices: int) -> dict[str, Any]:
    """Time the operator's preview of Taito City over `devices` registered homes, cold and cached."""
    from alerts.channels import AppriseChannel
    from alerts.disaster import AreaSpec
    from cloud.db.session import make_sessions, migrate
    from cloud.disaster import DisasterDesk
    from protocol import SystemClock

    with tempfile.TemporaryDirectory() as data_dir:
        url = f"sqlite:///{data_dir}/mimamori.db"
        migrate(url)
        sessions = make_sessions(url)
        _insert_devices(sessions, devices)
        desk = DisasterDesk(
            sessions=sessions,
            clock=SystemClock(),
            link_secret="bench-link-secret-" + "x" * 32,
            links_base_url=lambda: "https://mimamori.example",
            sender="bench@mimamori.example",
            apprise=AppriseChannel(),
            webpush=None,
        )
        area = AreaSpec(municipalities=("13106",))

        def timed() -> tuple[float, int]:
            started = time.perf_counter()
            preview = desk.preview(area)
            return (time.perf_counter() - started) * 1000, preview.devices

        cold = []
        for _ in range(3):
            desk.targeting.invalidate()  # as after a device registers: the next preview rebuilds
            cold.append(timed())
        warm = [timed() for _ in range(RUNS)]
        reached = {count for _, count in cold + warm}
        if len(reached) != 1:
            raise AssertionError(f"cached and rebuilt previews disagree: {reached}")
        cold_ms = statistics.median(ms for ms, _ in cold)
        warm_ms = statistics.median(ms for ms, _ in warm)
        return {
            "preview_devices": devices,
            "preview_reached": reached.pop(),
            "preview_cold_ms": round(cold_ms, 1),
            "preview_ms": round(warm_ms, 1),
            "preview_speedup": round(cold_ms / warm_ms, 1),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=200_000)
    args = parser.parse_args(argv)
    for key, value in bench_preview(args.devices).items():
        print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
