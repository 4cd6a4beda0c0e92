"""The nearest shelter that suits the hazard, by straight-line distance in metres (EPSG:6677)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from maps import Hazard, Shelter, emergency_sites, evacuation_shelters, to_plane
from maps.targeting import project_points

# GSI's remark on emergency sites that stay closed when the Arakawa may flood.
ARAKAWA_CLOSED = "荒川が氾濫するおそれがある場合は、開設しない"
ARAKAWA_HAZARDS = frozenset({Hazard.FLOOD})
# No Taito emergency site carries the earthquake flag; the designated shelters (指定避難所)
# are where people go after an earthquake, so they stand in for it.
FALLBACK_TO_DESIGNATED = frozenset({Hazard.EARTHQUAKE})
MAP_LINK = "https://maps.gsi.go.jp/#17/{lat:.6f}/{lon:.6f}/"


@dataclass(frozen=True, slots=True)
class ShelterChoice:
    """A shelter for one person: which, how far (metres), and a map link."""

    shelter: Shelter
    distance_m: float

    @property
    def map_link(self) -> str:
        return MAP_LINK.format(lat=self.shelter.lat, lon=self.shelter.lon)


def suits(shelter: Shelter, hazard: Hazard) -> bool:
    """Tell whether an emergency site may be sent people for this hazard."""
    if hazard not in shelter.hazards:
        return False
    return not (hazard in ARAKAWA_HAZARDS and ARAKAWA_CLOSED in shelter.remarks)


class ShelterFinder:
    """Find the nearest shelter suited to one hazard (None: any emergency site, when no hazard is known)."""

    def __init__(self, hazard: Hazard | None, *, sites: tuple[Shelter, ...] | None = None) -> None:
        self.hazard = hazard
        pool = sites if sites is not None else emergency_sites()
        candidates = [site for site in pool if hazard is None or suits(site, hazard)]
        if not candidates and sites is None and hazard in FALLBACK_TO_DESIGNATED:
            candidates = list(evacuation_shelters())
        self.shelters: tuple[Shelter, ...] = tuple(candidates)
        x, y = project_points(
            np.array([site.lat for site in candidates], dtype=np.float64),
            np.array([site.lon for site in candidates], dtype=np.float64),
        )
        self._x, self._y = x, y

    def nearest(self, lat: float, lon: float) -> ShelterChoice | None:
        """Return the nearest suitable shelter to (lat, lon), or None when there is none."""
        if not self.shelters:
            return None
        px, py = to_plane(lat, lon)
        distances = np.hypot(self._x - px, self._y - py)
        best = int(np.argmin(distances))
        return ShelterChoice(shelter=self.shelters[best], distance_m=float(distances[best]))

    def nearest_many(self, lat: NDArray[np.float64], lon: NDArray[np.float64]) -> list[ShelterChoice | None]:
        """Return the nearest suitable shelter for each point."""
        if not self.shelters or len(lat) == 0:
            return [None] * len(lat)
        best, distances = self.nearest_indices(lat, lon)
        return [
            ShelterChoice(shelter=self.shelters[index], distance_m=distance)
            for index, distance in zip(best.tolist(), distances.tolist(), strict=True)
        ]

    def nearest_indices(
        self, lat: NDArray[np.float64], lon: NDArray[np.float64]
    ) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """Return, for each point, the index in `shelters` of the nearest one and its distance in metres.

        For many points at once (a ward's residents): arrays, no object per point. Needs a shelter.
        """
        if not self.shelters:
            raise ValueError(f"no shelter suits {self.hazard}")
        px, py = project_points(lat, lon)
        distances = np.hypot(self._x[None, :] - px[:, None], self._y[None, :] - py[:, None])
        best = np.argmin(distances, axis=1)
        return best, distances[np.arange(len(best)), best]
