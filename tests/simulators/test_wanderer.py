"""The wanderer simulator: walking speed on a street grid, errands inside the zone, wanders beyond it."""

from __future__ import annotations

import numpy as np

from simulators import WandererConfig, WandererFleet, lonlat_to_plane

UENO = (np.array([35.7126]), np.array([139.7800]))


def fleet(n: int, **config: float) -> WandererFleet:
    x, y = lonlat_to_plane(np.repeat(UENO[0], n), np.repeat(UENO[1], n))
    return WandererFleet(x, y, config=WandererConfig(**config), seed=3)  # type: ignore[arg-type]


def test_walkers_move_at_walking_speed_along_streets() -> None:
    """In 30 s nobody moves more than 1.2 × 1.1 m/s × 30 s, and always along x or y first (the grid)."""
    walkers = fleet(200, errands_per_hour=20.0)
    for _ in range(120):
        before_x, before_y = walkers.x.copy(), walkers.y.copy()
        walkers.step()
        moved = np.abs(walkers.x - before_x) + np.abs(walkers.y - before_y)
        assert moved.max() <= 1.2 * 1.1 * 30 + 1e-6


def test_errands_alone_never_leave_the_safe_zone() -> None:
    """With no wanders, a day of errands keeps everyone inside the 300 m zone."""
    walkers = fleet(100, wanders_per_day=0.0, errands_per_hour=4.0)
    outside = [walkers.step().true_outside.any() for _ in range(2880)]
    assert not any(outside)


def test_some_walkers_wander_out_and_come_back() -> None:
    """Over a day, wanders take people out of the zone, and they walk home again."""
    walkers = fleet(100, wanders_per_day=2.0)
    out_counts = [int(walkers.step().true_outside.sum()) for _ in range(2880)]
    assert max(out_counts) > 0
    assert out_counts[-1] < max(out_counts)


def test_fixes_drop_out_and_carry_noise() -> None:
    """About 5 % of fixes are missing, and the rest scatter around the true position by ~15 m."""
    walkers = fleet(2000)
    batch = walkers.step()
    assert 0.02 < 1 - len(batch.walker) / 2000 < 0.08
    error = np.hypot(batch.x - walkers.x[batch.walker], batch.y - walkers.y[batch.walker])
    assert 12 < float(np.sqrt(np.mean(error**2)) / np.sqrt(2)) < 18


def test_a_scripted_wander_stays_out_until_its_time_then_walks_home() -> None:
    """send_away walks one person 1.2 km out, keeps them there until the set time, then brings them home."""
    walkers = fleet(3, wanders_per_day=0.0, errands_per_hour=0.0, dropout=0.0)
    walkers.send_away(1, dx_m=1200.0, dy_m=0.0, come_back_at_s=3 * 3600.0)
    outside = [walkers.step().true_outside for _ in range(int(3 * 3600 / 30))]
    assert not any(row[0] or row[2] for row in outside)  # the others stay home
    assert all(row[1] for row in outside[int(1800 / 30) :])  # out from half an hour on, until 3 h
    assert walkers.true_distance()[1] > 1100
    for _ in range(int(1800 / 30)):
        walkers.step()
    assert walkers.true_distance()[1] == 0.0
    assert not walkers.wandering[1]
