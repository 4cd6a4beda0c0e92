"""Trackers benchmark: `python -m bench.trackers` (also `make bench-trackers`), writes bench/results/trackers.json.

1. throughput  100,000 trackers in Taito City with 3 zones each (home circle, day-care circle,
               a walk polygon); one fix per tracker per 30 s round: people spread around home
               walking ~35 m per round, seen through 15 m GPS noise.
               Timed: projection of the fixes (WGS84 → EPSG:6677), the batched zone test and
               the hysteresis of alerts.rules.safe_zone.SafeZoneWatch — the whole path from a
               fix in degrees to the alert signals.
2. baseline    the naive way, measured in the same run: for each fix, project it, then for
               each of its tracker's zones ``zone.contains(Point(x, y))`` with shapely.
3. detection   wanderers (simulators.wanderer) on a street grid with 15 m GPS noise and 5 %
               dropouts, for simulated days: the delay from the true exit to the alert signal
               (median, p95), and exits raised while the person was truly inside (false exits
               per tracker-day).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Point

from alerts.rules.safe_zone import SafeZoneConfig, SafeZoneWatch, TrackerProfile
from alerts.signals import RuleName
from maps.geodata import TAITO_CITY, municipality_boundary
from maps.projection import geometry_to_plane
from maps.targeting import project_points
from maps.zones import SafeZone, ZoneIndex, ZoneKind
from simulators.wanderer import WandererConfig, WandererFleet, plane_to_lonlat

RESULTS = Path(__file__).resolve().parent / "results" / "trackers.json"
# 10:00 on a weekday in Tokyo: every zone (the day-care one is 09:00–17:00) is active
START = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
DAY_CARE_HOURS = (dtime(9, 0), dtime(17, 0))


def homes_in_taito(n: int, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return n random home positions (plane metres) inside Taito City."""
    area = geometry_to_plane(municipality_boundary(TAITO_CITY))
    minx, miny, maxx, maxy = area.bounds
    rng = np.random.default_rng(seed)
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    shapely.prepare(area)
    while sum(len(x) for x in xs) < n:
        x = rng.uniform(minx, maxx, n)
        y = rng.uniform(miny, maxy, n)
        inside = shapely.contains_xy(area, x, y)
        xs.append(x[inside])
        ys.append(y[inside])
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def build_zones(home_x: np.ndarray, home_y: np.ndarray, *, seed: int) -> tuple[list[SafeZone], list[str]]:
    """Three zones per tracker: home (300 m circle), day care (100 m circle), a walk (400×80 m)."""
    rng = np.random.default_rng(seed)
    n = len(home_x)
    home_lat, home_lon = plane_to_lonlat(home_x, home_y)
    care_x = home_x + rng.uniform(-1500, 1500, n)
    care_y = home_y + rng.uniform(-1500, 1500, n)
    care_lat, care_lon = plane_to_lonlat(care_x, care_y)
    # the walk: a corridor from home towards a park, as four corners
    corners_x = np.stack([home_x, home_x + 400, home_x + 400, home_x], axis=1)
    corners_y = np.stack([home_y - 40, home_y - 40, home_y + 40, home_y + 40], axis=1)
    walk_lat, walk_lon = plane_to_lonlat(corners_x.ravel(), corners_y.ravel())
    walk_lat, walk_lon = walk_lat.reshape(n, 4), walk_lon.reshape(n, 4)
    ids = [f"trk-{i:06d}" for i in range(n)]
    zones: list[SafeZone] = []
    for i, tracker_id in enumerate(ids):
        zones.append(
            SafeZone(
                f"{tracker_id}-home", tracker_id, "自宅", ZoneKind.HOME, center=(home_lat[i], home_lon[i]), radius_m=300
            )
        )
        zones.append(
            SafeZone(
                f"{tracker_id}-care",
                tracker_id,
                "デイサービス",
                ZoneKind.DAY_CARE,
                center=(care_lat[i], care_lon[i]),
                radius_m=100,
                active_from=DAY_CARE_HOURS[0],
                active_to=DAY_CARE_HOURS[1],
            )
        )
        zones.append(
            SafeZone(
                f"{tracker_id}-walk",
                tracker_id,
                "散歩道",
                ZoneKind.WALK,
                polygon=tuple(zip(walk_lat[i].tolist(), walk_lon[i].tolist(), strict=True)),
            )
        )
    return zones, ids


def throughput(trackers: int, rounds: int, *, seed: int) -> dict[str, Any]:
    """Time the batched path and the naive loop on the same fixes."""
    home_x, home_y = homes_in_taito(trackers, seed=seed)
    built = time.perf_counter()
    zones, ids = build_zones(home_x, home_y, seed=seed)
    index = ZoneIndex(zones, tracker_ids=ids)
    profiles = [TrackerProfile(tracker_id, f"hh-{i:06d}") for i, tracker_id in enumerate(ids)]
    watch = SafeZoneWatch(trackers=profiles, zones=index)
    setup_s = time.perf_counter() - built
    rng = np.random.default_rng(seed + 1)
    tracker = np.arange(trackers, dtype=np.int64)
    batches = []
    # people start around home (a few hundred metres of spread, a third outside the home
    # circle) and walk on: ~35 m per 30 s in a random direction, seen through 15 m GPS noise
    true_x = home_x + rng.normal(0, 200, trackers)
    true_y = home_y + rng.normal(0, 200, trackers)
    for round_no in range(rounds):
        true_x += rng.normal(0, 25, trackers)
        true_y += rng.normal(0, 25, trackers)
        lat, lon = plane_to_lonlat(true_x + rng.normal(0, 15, trackers), true_y + rng.normal(0, 15, trackers))
        epoch = np.full(trackers, (START + timedelta(seconds=30 * round_no)).timestamp())
        batches.append((lat, lon, np.full(trackers, 15.0), epoch))
    signals = 0
    started = time.perf_counter()
    for lat, lon, accuracy, epoch in batches:
        x, y = project_points(lat, lon)
        signals += len(watch.observe_arrays(tracker, x, y, accuracy, epoch))
    elapsed = time.perf_counter() - started
    fixes = trackers * rounds

    # naive: one fix at a time, project it, shapely contains against each of its zones
    sample = min(trackers, 20_000)
    geometries = [zone.plane_geometry() for zone in index.zones[: 3 * sample]]
    lat, lon, _accuracy, _epoch = batches[0]
    started = time.perf_counter()
    inside_naive = 0
    for t in range(sample):
        px, py = project_points(lat[t : t + 1], lon[t : t + 1])
        point = Point(float(px[0]), float(py[0]))
        for geometry in geometries[3 * t : 3 * t + 3]:
            if geometry.contains(point):
                inside_naive += 1
                break
    naive_elapsed = time.perf_counter() - started
    fixes_per_s = fixes / elapsed
    baseline = sample / naive_elapsed
    return {
        "trackers": trackers,
        "zones": len(index),
        "rounds": rounds,
        "fixes": fixes,
        "setup_s": round(setup_s, 2),
        "elapsed_s": round(elapsed, 3),
        "fixes_per_s": round(fixes_per_s),
        "baseline_fixes": sample,
        "baseline_elapsed_s": round(naive_elapsed, 3),
        "baseline_fixes_per_s": round(baseline),
        "ratio": round(fixes_per_s / baseline, 1),
        "signals": signals,
    }


def detection(walkers: int, days: float, *, seed: int) -> dict[str, Any]:
    """Run wanderers against their home zones; measure exit delays and false exits."""
    config = WandererConfig()
    home_x, home_y = homes_in_taito(walkers, seed=seed + 7)
    fleet = WandererFleet(home_x, home_y, config=config, seed=seed)
    home_lat, home_lon = plane_to_lonlat(fleet.home_x, fleet.home_y)
    ids = [f"w-{i:05d}" for i in range(walkers)]
    zones = [
        SafeZone(
            f"{tracker_id}-home", tracker_id, "自宅", ZoneKind.HOME, center=(home_lat[i], home_lon[i]), radius_m=300
        )
        for i, tracker_id in enumerate(ids)
    ]
    index = ZoneIndex(zones, tracker_ids=ids)
    watch = SafeZoneWatch(
        trackers=[TrackerProfile(tracker_id, f"hh-{i}") for i, tracker_id in enumerate(ids)],
        zones=index,
        config=SafeZoneConfig(),
    )
    steps = int(days * 86400 / config.fix_every_s)
    was_out = np.zeros(walkers, dtype=bool)
    true_exit_at = np.full(walkers, np.nan)
    delays: list[float] = []
    false_exits = 0
    true_exits = 0
    missed = 0
    for _ in range(steps):
        batch = fleet.step()
        now = START.timestamp() + batch.t_s
        # the true exit: the first step truly outside (the crossing was within the last step)
        began = batch.true_outside & ~was_out
        ended = ~batch.true_outside & was_out
        true_exit_at[began] = now - config.fix_every_s / 2
        true_exits += int(began.sum())
        # excursions that ended without an alert were missed
        missed += int((ended & ~np.isnan(true_exit_at)).sum())
        true_exit_at[ended] = np.nan
        was_out = batch.true_outside
        lat, lon = plane_to_lonlat(batch.x, batch.y)
        x, y = project_points(lat, lon)
        epoch = np.full(len(batch.walker), now)
        for signal in watch.observe_arrays(batch.walker, x, y, batch.accuracy_m, epoch):
            if signal.rule is not RuleName.SAFE_ZONE_EXIT or signal.action != "raise":
                continue
            walker = index.tracker_index[str(signal.facts["tracker_id"])]
            if np.isnan(true_exit_at[walker]):
                false_exits += 1
            else:
                delays.append(signal.at.timestamp() - true_exit_at[walker])
                true_exit_at[walker] = np.nan  # matched
    tracker_days = walkers * days
    return {
        "walkers": walkers,
        "days": days,
        "true_exits": true_exits,
        "detected_exits": len(delays),
        "missed_exits": missed,
        "false_exits": false_exits,
        "exit_delay_median_s": round(float(np.median(delays)), 1) if delays else None,
        "exit_delay_p95_s": round(float(np.percentile(delays, 95)), 1) if delays else None,
        "false_exits_per_tracker_day": round(false_exits / tracker_days, 4),
        "noise_m": config.noise_m,
        "dropout": config.dropout,
        "fix_every_s": config.fix_every_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trackers", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--walkers", type=int, default=500)
    parser.add_argument("--days", type=float, default=4.0)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    speed = throughput(args.trackers, args.rounds, seed=args.seed)
    print(f"throughput: {speed['fixes_per_s']:,} fixes/s, naive {speed['baseline_fixes_per_s']:,}/s")
    found = detection(args.walkers, args.days, seed=args.seed)
    print(f"detection: median {found['exit_delay_median_s']} s, p95 {found['exit_delay_p95_s']} s")
    result = {
        "fixes_per_s": speed["fixes_per_s"],
        "baseline_fixes_per_s": speed["baseline_fixes_per_s"],
        "ratio": speed["ratio"],
        "exit_delay_median_s": found["exit_delay_median_s"],
        "exit_delay_p95_s": found["exit_delay_p95_s"],
        "false_exits_per_tracker_day": found["false_exits_per_tracker_day"],
        "throughput": speed,
        "detection": found,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
