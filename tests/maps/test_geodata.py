"""Shipped geodata: Taito City's boundary, random homes inside it, its shelters."""

from __future__ import annotations

import pytest
from shapely import Point

from maps import TAITO_CITY, GeodataError, Hazard, emergency_sites, municipality_boundary, random_points_within

UENO_STATION = (35.7138, 139.7773)
SHINJUKU_STATION = (35.6896, 139.7006)


def test_taito_boundary_contains_ueno_station() -> None:
    """Ueno Station lies inside Taito City."""
    lat, lon = UENO_STATION
    assert municipality_boundary(TAITO_CITY).contains(Point(lon, lat))


def test_taito_boundary_excludes_shinjuku_station() -> None:
    """Shinjuku Station lies outside Taito City."""
    lat, lon = SHINJUKU_STATION
    assert not municipality_boundary(TAITO_CITY).contains(Point(lon, lat))


def test_unknown_municipality_code_is_refused() -> None:
    """Asking for a code that is not in Tokyo's data raises GeodataError."""
    with pytest.raises(GeodataError):
        municipality_boundary("99999")


def test_random_points_all_lie_inside_the_ward() -> None:
    """Every random point falls inside the polygon it was drawn from."""
    boundary = municipality_boundary(TAITO_CITY)
    points = random_points_within(boundary, 200, seed=7)
    assert len(points) == 200
    assert all(boundary.contains(Point(lon, lat)) for lat, lon in points)


def test_random_points_repeat_with_the_same_seed() -> None:
    """The same seed places the same homes; another seed places others."""
    boundary = municipality_boundary(TAITO_CITY)
    assert random_points_within(boundary, 5, seed=3) == random_points_within(boundary, 5, seed=3)
    assert random_points_within(boundary, 5, seed=3) != random_points_within(boundary, 5, seed=4)


def test_emergency_sites_carry_their_hazards() -> None:
    """The 17 emergency sites load, all designated for floods, 14 closed when the Arakawa may flood."""
    sites = emergency_sites()
    assert len(sites) == 17
    assert all(Hazard.FLOOD in site.hazards for site in sites)
    assert sum("荒川" in site.remarks for site in sites) == 14
