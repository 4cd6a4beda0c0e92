"""Wanderers: people who walk around their home on a street-like grid, with GPS noise and dropouts.

Each person lives at a grid intersection (streets every `block_m` metres, as in the grid of
Taito City's older blocks) and walks at walking speed along the streets, x first and then y,
to a destination chosen with purpose: most trips are errands near home (inside the square
inscribed in the safe circle, so an errand never crosses it), and now and then one is a long
wander 2–4 zone radii away, after which the person walks home. Every `fix_every_s` the
tracker reports the true position plus Gaussian noise (`noise_m` per axis), unless the fix
drops out. The true positions are kept, so a benchmark knows when a person really left.

All walkers step together as numpy arrays; positions are metres in EPSG:6677 around each
home, turned into lon/lat with pyproj only when fixes are asked for in degrees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pyproj import Transformer

WGS84 = "EPSG:4326"
PLANE_IX = "EPSG:6677"


@dataclass(frozen=True, slots=True)
class WandererConfig:
    """How the simulated people walk and how their trackers behave."""

    zone_radius_m: float = 300.0
    block_m: float = 80.0
    speed_m_s: float = 1.1
    fix_every_s: float = 30.0
    noise_m: float = 15.0
    dropout: float = 0.05
    wanders_per_day: float = 1.0
    errands_per_hour: float = 2.0


@dataclass(frozen=True, slots=True)
class FixBatch:
    """One round of fixes: the walkers that reported, their noisy and their true positions."""

    t_s: float
    walker: NDArray[np.int64]
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    accuracy_m: NDArray[np.float64]
    true_outside: NDArray[np.bool_]  # per walker (all of them), at this step


class WandererFleet:
    """Many wanderers around their homes (plane coordinates, metres)."""

    def __init__(
        self,
        home_x: NDArray[np.float64],
        home_y: NDArray[np.float64],
        *,
        config: WandererConfig | None = None,
        seed: int = 1,
    ) -> None:
        self.config = config or WandererConfig()
        self.rng = np.random.default_rng(seed)
        block = self.config.block_m
        # homes sit on intersections
        self.home_x = np.round(np.asarray(home_x, dtype=np.float64) / block) * block
        self.home_y = np.round(np.asarray(home_y, dtype=np.float64) / block) * block
        n = len(self.home_x)
        self.x = self.home_x.copy()
        self.y = self.home_y.copy()
        self.target_x = self.home_x.copy()
        self.target_y = self.home_y.copy()
        self.wandering = np.zeros(n, dtype=bool)
        # a scripted wander waits at its far end until then (t_s) before turning for home
        self.hold_until = np.full(n, -np.inf)
        self.t_s = 0.0

    def __len__(self) -> int:
        return len(self.home_x)

    def true_distance(self) -> NDArray[np.float64]:
        """Return each walker's true distance from home (m)."""
        return np.asarray(np.hypot(self.x - self.home_x, self.y - self.home_y))

    def send_away(self, walker: int, *, dx_m: float, dy_m: float, come_back_at_s: float) -> None:
        """Script a wander: walk to home + (dx, dy) along the streets, stay there until `come_back_at_s`, walk home."""
        block = self.config.block_m
        self.target_x[walker] = self.home_x[walker] + round(dx_m / block) * block
        self.target_y[walker] = self.home_y[walker] + round(dy_m / block) * block
        self.wandering[walker] = True
        self.hold_until[walker] = come_back_at_s

    def step(self) -> FixBatch:
        """Advance everyone by one fix interval; return the fixes that came through."""
        config, rng, n = self.config, self.rng, len(self)
        dt = config.fix_every_s
        self._choose_targets(dt)
        remaining = np.full(n, config.speed_m_s * dt) * rng.uniform(0.8, 1.2, n)
        # along x first, then along y: the path stays on the streets of the grid
        for axis in ("x", "y"):
            here = self.x if axis == "x" else self.y
            there = self.target_x if axis == "x" else self.target_y
            gap = there - here
            move = np.sign(gap) * np.minimum(np.abs(gap), remaining)
            here += move
            remaining -= np.abs(move)
        self.t_s += dt
        arrived = self.wandering & (self.x == self.target_x) & (self.y == self.target_y)
        away = (self.target_x != self.home_x) | (self.target_y != self.home_y)
        # at the far end of a wander (after any scripted stay there), turn for home
        far = arrived & away & (self.t_s >= self.hold_until)
        self.target_x[far], self.target_y[far] = self.home_x[far], self.home_y[far]
        back = arrived & ~away
        self.wandering[back] = False
        reported = np.flatnonzero(rng.random(n) >= config.dropout)
        noise = rng.normal(0.0, config.noise_m, (2, len(reported)))
        return FixBatch(
            t_s=self.t_s,
            walker=reported.astype(np.int64),
            x=self.x[reported] + noise[0],
            y=self.y[reported] + noise[1],
            accuracy_m=np.full(len(reported), config.noise_m),
            true_outside=self.true_distance() > config.zone_radius_m,
        )

    def _choose_targets(self, dt: float) -> None:
        config, rng, n = self.config, self.rng, len(self)
        block = config.block_m
        idle = ~self.wandering & (self.x == self.target_x) & (self.y == self.target_y)
        start_wander = idle & (rng.random(n) < config.wanders_per_day * dt / 86400.0)
        errand = idle & ~start_wander & (rng.random(n) < config.errands_per_hour * dt / 3600.0)
        # errands stay inside the square inscribed in the safe circle (with one block to spare)
        half = max(block, np.floor((config.zone_radius_m / np.sqrt(2) - block / 2) / block) * block)
        k = int(half // block)
        for mask, far in ((errand, False), (start_wander, True)):
            count = int(mask.sum())
            if not count:
                continue
            if far:
                reach = rng.uniform(2.0, 4.0, count) * config.zone_radius_m
                angle = rng.uniform(0, 2 * np.pi, count)
                dx = np.round(reach * np.cos(angle) / block) * block
                dy = np.round(reach * np.sin(angle) / block) * block
            else:
                dx = rng.integers(-k, k + 1, count) * block
                dy = rng.integers(-k, k + 1, count) * block
            self.target_x[mask] = self.home_x[mask] + dx
            self.target_y[mask] = self.home_y[mask] + dy
        self.wandering |= start_wander


def plane_to_lonlat(x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Turn EPSG:6677 metres into (lat, lon) arrays."""
    transformer = Transformer.from_crs(PLANE_IX, WGS84, always_xy=True)
    lon, lat = transformer.transform(x, y)
    return np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)


def lonlat_to_plane(
    lat: NDArray[np.float64], lon: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Turn (lat, lon) arrays into EPSG:6677 metres."""
    transformer = Transformer.from_crs(WGS84, PLANE_IX, always_xy=True)
    x, y = transformer.transform(lon, lat)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
