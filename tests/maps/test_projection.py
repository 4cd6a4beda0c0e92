"""Metric projection (EPSG:6677): distances in metres, round trips."""

from __future__ import annotations

import pytest

from maps import distance_m, from_plane, geometry_to_plane, municipality_boundary, to_plane

UENO_STATION = (35.7138, 139.7773)
KAMINARIMON = (35.7111, 139.7964)


def test_ueno_to_kaminarimon_is_about_1_75_km() -> None:
    """Ueno Station to Asakusa's Kaminarimon is 1.7–1.8 km as the crow flies."""
    assert 1700 <= distance_m(UENO_STATION, KAMINARIMON) <= 1800


def test_plane_round_trip_returns_the_point() -> None:
    """Projecting to the plane and back lands on the same point."""
    lat, lon = from_plane(*to_plane(*UENO_STATION))
    assert (lat, lon) == pytest.approx(UENO_STATION, abs=1e-9)


def test_taito_area_is_about_ten_square_kilometres() -> None:
    """Taito City measures about 10.1 km² in the metric plane."""
    area_km2 = geometry_to_plane(municipality_boundary("13106")).area / 1e6
    assert 9.5 <= area_km2 <= 10.5
