"""The grid index finds exactly the points inside an area, on real Taito geometry, in metres."""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import Point

from maps import (
    LocationIndex,
    area_in_plane,
    from_plane,
    keys_within,
    municipality_boundary,
    project_points,
    random_points_within,
    to_plane,
)

TAITO = "13106"


def index_of(points: list[tuple[float, float]]) -> LocationIndex:
    lat = np.array([p[0] for p in points])
    lon = np.array([p[1] for p in points])
    return LocationIndex.from_latlon(np.arange(len(points)), lat, lon)


def outside_taito_by(metres: float) -> tuple[float, float]:
    """Return a point `metres` outside Taito's boundary, straight out from its easternmost vertex."""
    plane = area_in_plane(municipality_boundary(TAITO))
    coords = shapely.get_coordinates(plane.exterior if hasattr(plane, "exterior") else plane)
    x, y = coords[np.argmax(coords[:, 0])]
    # move east until the point is exactly `metres` from the area
    px = x + metres
    while shapely.distance(plane, Point(px, y)) < metres:
        px += 0.01
    return from_plane(px, y)


def test_points_inside_taito_are_found_and_points_outside_are_not() -> None:
    """Sensō-ji is inside Taito City; Tokyo Skytree across the Sumida is not."""
    sensoji, skytree = (35.7148, 139.7967), (35.7101, 139.8107)

    found = keys_within(index_of([sensoji, skytree]), municipality_boundary(TAITO))

    assert found == {0}


def test_a_point_on_the_boundary_counts_as_inside() -> None:
    """A location exactly on a vertex of the ward's boundary is a recipient."""
    boundary = municipality_boundary(TAITO)
    lon, lat = shapely.get_coordinates(boundary)[10]
    x, y = project_points(np.array([lat]), np.array([lon]))
    plane = area_in_plane(boundary)
    vertex_x, vertex_y = shapely.get_coordinates(plane)[10]

    index = LocationIndex(np.array([7]), np.array([vertex_x]), np.array([vertex_y]))

    assert index.within(plane).tolist() == [7]
    assert abs(x[0] - vertex_x) < 1e-6 and abs(y[0] - vertex_y) < 1e-6


def test_a_buffer_reaches_its_width_in_metres_and_no_further() -> None:
    """A point 40 m outside Taito is reached by a 50 m buffer, not by a 30 m one, nor without one."""
    point = outside_taito_by(40)
    index = index_of([point])
    boundary = municipality_boundary(TAITO)

    assert keys_within(index, boundary) == set()
    assert keys_within(index, boundary, buffer_m=30) == set()
    assert keys_within(index, boundary, buffer_m=50) == {0}


def test_the_grid_agrees_with_testing_every_point() -> None:
    """On 50,000 points around a buffered Taito, the index returns exactly what a full contains test does."""
    rng = np.random.default_rng(7)
    min_lon, min_lat, max_lon, max_lat = municipality_boundary(TAITO).bounds
    lat = rng.uniform(min_lat - 0.01, max_lat + 0.01, 50_000)
    lon = rng.uniform(min_lon - 0.01, max_lon + 0.01, 50_000)
    area = area_in_plane(municipality_boundary(TAITO), buffer_m=120)
    x, y = project_points(lat, lon)

    found = LocationIndex(np.arange(50_000), x, y, cell_m=40).within(area)

    expected = np.nonzero(shapely.intersects_xy(area, x, y))[0]
    assert sorted(found.tolist()) == expected.tolist()


def test_points_are_matched_in_plane_metres_not_degrees() -> None:
    """A circle of 500 m holds a point 499 m north and leaves one 501 m east out."""
    centre = (35.7123, 139.7800)
    cx, cy = to_plane(*centre)
    north, east = from_plane(cx, cy + 499), from_plane(cx + 501, cy)
    disc = Point(cx, cy).buffer(500, quad_segs=64)

    found = index_of([north, east]).within(disc)

    assert found.tolist() == [0]


def test_an_empty_index_finds_nothing() -> None:
    """No registered locations: no recipients, no error."""
    empty = LocationIndex(np.array([], dtype=np.int64), np.array([]), np.array([]))

    assert empty.within(area_in_plane(municipality_boundary(TAITO))).tolist() == []


def test_random_points_within_taito_are_all_found() -> None:
    """Every point sampled inside Taito is found inside Taito."""
    points = random_points_within(municipality_boundary(TAITO), 500, seed=3)

    assert keys_within(index_of(points), municipality_boundary(TAITO)) == set(range(500))
