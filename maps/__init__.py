"""Geometry and geodata: municipal boundaries, shelters, metric projection (EPSG:6677)."""

from maps.geodata import (
    TAITO_CITY,
    GeodataError,
    Hazard,
    Municipality,
    MunicipalityNames,
    Shelter,
    emergency_sites,
    evacuation_shelters,
    municipalities,
    municipality_boundary,
    municipality_names,
    random_points_within,
)
from maps.projection import (
    JGD2011_PLANE_IX,
    LatLon,
    distance_m,
    from_plane,
    geometry_from_plane,
    geometry_to_plane,
    to_plane,
)
from maps.targeting import LocationIndex, TargetingCache, area_in_plane, keys_within, project_points

__all__ = [
    "JGD2011_PLANE_IX",
    "TAITO_CITY",
    "GeodataError",
    "Hazard",
    "LatLon",
    "LocationIndex",
    "Municipality",
    "MunicipalityNames",
    "Shelter",
    "TargetingCache",
    "area_in_plane",
    "distance_m",
    "emergency_sites",
    "evacuation_shelters",
    "from_plane",
    "geometry_from_plane",
    "geometry_to_plane",
    "keys_within",
    "municipalities",
    "municipality_boundary",
    "municipality_names",
    "project_points",
    "random_points_within",
    "to_plane",
]
