"""The demo's trackers and disaster scenes, set up and played through the product's own paths.

Trackers: a few watched people carry a GPS tracker or a BLE tag, registered with a home safe
zone through the API as a caseworker would (`POST /api/v1/trackers`, `…/zones`); their fixes go
out over their home gateway's MQTT connection (simulators.trackers) to ingest and the tracker
desk. One person with dementia walks out of the zone before dawn (the household's night hours)
and is brought home hours later, so "left the safe zone" opens, the console shows where they
are, and the alert resolves on the way back in. Their home sees them go: the front door opens
as they leave and as they are brought back, and in between its sensors are quiet (no kitchen
motion from an empty flat).

Disaster: resident devices register like the resident app (`POST /api/v1/residents/devices`),
in five languages, with an apprise ``json://`` address on the demo's loopback inbox. A
caseworker releases a flood alert (洪水) along the Sumida through the API an hour into the
demo; the desk finds who is inside and sends. Residents answer by opening the signed links of
the message they received (the public safety route), some "safe", one "need help", some never.
"""

from __future__ import annotations

import logging
import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx
from shapely import Polygon
from shapely.geometry.polygon import orient

from cloud.api.app import API_PREFIX
from maps import TAITO_CITY, distance_m, municipality_boundary, random_points_within
from simulators import TOKYO, CarriedTracker, SimulatedHousehold, TagAtHome, WalkingTrackers, WandererConfig
from simulators.inbox import InboxPost

log = logging.getLogger(__name__)

# --- trackers ------------------------------------------------------------------------------------

ZONE_RADIUS_M = 300.0
WANDER_AT = (6, 5)  # before dawn: still inside the household's night hours (22:00–07:00)
BROUGHT_HOME_AT = (10, 0)
WANDER_LONGEST_M = 1500.0
# where a wander heads for: the farther of two places people know
LANDMARKS = (("上野公園", (35.7156, 139.7745)), ("浅草寺", (35.7148, 139.7967)))
TRACKER_CONFIG = WandererConfig(
    zone_radius_m=ZONE_RADIUS_M,
    block_m=40.0,  # homes snap to the street grid; small blocks keep errands well inside the zone
    fix_every_s=60.0,
    wanders_per_day=0.0,  # only the scripted wander leaves a zone
    errands_per_hour=1.0,
)

# --- disaster ------------------------------------------------------------------------------------

FLOOD_AT = (7, 0)
# Taito City's boundary along the Sumida, south to north (lat, lon); the flood area is the strip
# from it to about 600 m inland
SUMIDA_BANK = (
    (35.69470, 139.78892),
    (35.69671, 139.78995),
    (35.70122, 139.79348),
    (35.70778, 139.79702),
    (35.71055, 139.79940),
    (35.71743, 139.80664),
    (35.72037, 139.80843),
    (35.72434, 139.80934),
    (35.72813, 139.80972),
)
INLAND_DEG = 0.0065  # of longitude, about 590 m here
FLOOD_DESCRIPTION = "隅田川沿い（台東区）"
FLOOD_HEADLINE = "隅田川が氾濫するおそれがあります"
FLOOD_INSTRUCTION = "川から離れ、近くの高い建物か避難場所へ移動してください。"
RESIDENT_LANGUAGES = ("ja", "en", "zh-Hans", "ko", "ja-easy")
RESIDENTS_INSIDE = 16
RESIDENTS_ELSEWHERE = 8
SAFETY_LINK = re.compile(r"https?://\S+/disaster/public/safety/\S+")
RESIDENT_PATH = "resident/"


class DemoHomeLike(Protocol):
    """What the scenes need of a demo home."""

    household_id: str
    gateway_id: str
    person: str
    lat: float
    lon: float


def tokyo_moment(day_of: datetime, hour: int, minute: int) -> datetime:
    """Return hour:minute (Asia/Tokyo) on the day of `day_of`."""
    day = day_of.astimezone(TOKYO).date()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TOKYO)


class DemoOperator:
    """A member of the ward's staff at the API: logs in as the console does, then calls it over HTTP."""

    def __init__(self, api_url: str, *, username: str, password: str) -> None:
        self._client = httpx.Client(base_url=api_url + API_PREFIX, timeout=15)
        response = self._client.post("/auth/login", json={"username": username, "password": password})
        response.raise_for_status()
        self._client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"

    def post(self, path: str, body: dict[str, Any]) -> Any:
        """POST JSON; return the answer's JSON (raise on an error status)."""
        response = self._client.post(path, json=body)
        response.raise_for_status()
        return response.json()

    def close(self) -> None:
        """Close the connection."""
        self._client.close()


# --- the trackers scene --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrackedPerson:
    """A watched person with a tracker and a home safe zone."""

    household_id: str
    person: str
    tracker_id: str
    kind: str  # gps | ble_tag
    label: str


@dataclass(frozen=True, slots=True)
class TrackerRow:
    """Where a tracked person is, as the demo shows it."""

    household_id: str
    person: str
    tracker_id: str
    kind: str
    distance_m: float
    outside: bool | None  # as the tracker desk judges it; None before its first fix


class TrackerScene:
    """People with trackers; one wanders out of their safe zone before dawn. See the module docstring."""

    def __init__(self, homes: Sequence[DemoHomeLike], *, start: datetime, seed: int) -> None:
        count = len(homes)
        # the first three homes carry the watch incidents; these people are the next ones
        self.wanderer_home = homes[3 % count]
        self.walker_home = homes[4 % count]
        self.tag_home = homes[5 % count]
        self.start = start
        self.people = [
            TrackedPerson(home.household_id, home.person, tracker_id, kind, f"{home.person}（{_kind_label(kind)}）")
            for home, tracker_id, kind in (
                (self.wanderer_home, "gps-wanderer", "gps"),
                (self.walker_home, "gps-walker", "gps"),
                (self.tag_home, "tag-at-home", "ble_tag"),
            )
        ]
        self.walks = WalkingTrackers(
            [
                CarriedTracker(home.gateway_id, tracker.tracker_id, home.lat, home.lon)
                for home, tracker in ((self.wanderer_home, self.people[0]), (self.walker_home, self.people[1]))
            ],
            start=start,
            config=TRACKER_CONFIG,
            seed=seed,
        )
        self.tag = TagAtHome(
            gateway_id=self.tag_home.gateway_id,
            device_id=self.people[2].tracker_id,
            lat=self.tag_home.lat,
            lon=self.tag_home.lon,
            start=start,
        )
        self.wander_at = tokyo_moment(start, *WANDER_AT)
        self.brought_home_at = tokyo_moment(start, *BROUGHT_HOME_AT)
        self.landmark, self.bearing_deg, self.wander_m = _wander_towards(self.wanderer_home)

    def register(self, operator: DemoOperator) -> None:
        """Register the trackers and their home zones through the API, as a caseworker would."""
        homes = (self.wanderer_home, self.walker_home, self.tag_home)
        for home, person in zip(homes, self.people, strict=True):
            operator.post(
                "/trackers",
                {
                    "id": person.tracker_id,
                    "household_id": person.household_id,
                    "kind": person.kind,
                    "label": person.label,
                    "gateway_id": home.gateway_id,
                    "device_id": person.tracker_id,
                },
            )
            operator.post(
                f"/trackers/{person.tracker_id}/zones",
                {
                    "id": f"home-{person.tracker_id}",
                    "name": "自宅のまわり",
                    "kind": "home",
                    "center_lat": home.lat,
                    "center_lon": home.lon,
                    "radius_m": ZONE_RADIUS_M,
                },
            )

    def attach(self, homes: Sequence[DemoHomeLike], simulated: Sequence[SimulatedHousehold]) -> None:
        """Give the trackers to their people's gateways, and script the wander (tracker and home alike)."""
        by_household = {home.household_id: household for home, household in zip(homes, simulated, strict=True)}
        wanderer = by_household[self.wanderer_home.household_id]
        wanderer.carry(self.walks.companion(0))
        wanderer.away(self.wander_at, self.brought_home_at)
        by_household[self.walker_home.household_id].carry(self.walks.companion(1))
        by_household[self.tag_home.household_id].carry(self.tag)
        self.walks.wander(
            0,
            at=self.wander_at,
            bearing_deg=self.bearing_deg,
            distance_m=self.wander_m,
            back_at=self.brought_home_at,
        )

    def describe(self) -> str:
        """Say what is scripted, for the demo's introduction."""
        return (
            f"{self.wanderer_home.person} (dementia, GPS tracker) leaves home towards {self.landmark} "
            f"({self.wander_m / 1000:.1f} km) and is brought home at "
            f"{BROUGHT_HOME_AT[0]:02d}:{BROUGHT_HOME_AT[1]:02d}"
        )

    def rows(self, desk: Any) -> list[TrackerRow]:
        """Say where each tracked person is and whether the tracker desk finds them outside."""
        rows = []
        for index, person in enumerate(self.people):
            distance = self.walks.distance_from_home_m(index) if index < 2 else 0.0
            outside: bool | None = None
            if desk is not None:
                try:
                    outside = bool(desk.watch.is_outside(person.tracker_id))
                except (KeyError, RuntimeError):
                    outside = None
            rows.append(
                TrackerRow(person.household_id, person.person, person.tracker_id, person.kind, distance, outside)
            )
        return rows


def _kind_label(kind: str) -> str:
    return {"gps": "GPS端末", "ble_tag": "見守りタグ"}.get(kind, kind)


def _wander_towards(home: DemoHomeLike) -> tuple[str, float, float]:
    """Return where a wander from this home heads: the farther landmark, its bearing and the distance to walk."""
    name, (lat, lon) = max(LANDMARKS, key=lambda item: distance_m((home.lat, home.lon), item[1]))
    dy = (lat - home.lat) * 111_000.0
    dx = (lon - home.lon) * 111_000.0 * math.cos(math.radians(home.lat))
    bearing = math.degrees(math.atan2(dx, dy)) % 360
    far = max(ZONE_RADIUS_M * 2.5, min(WANDER_LONGEST_M, math.hypot(dx, dy)))
    return name, bearing, far


# --- the disaster scene --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlannedResident:
    """A resident device of the demo: its number, home, language and whether the flood area holds it."""

    number: int
    lat: float
    lon: float
    language: str
    inside: bool

    @property
    def path(self) -> str:
        return f"{RESIDENT_PATH}{self.number:02d}"


@dataclass(frozen=True, slots=True)
class DisasterRow:
    """The flood alert as the demo shows it: who it reached and how they answered."""

    alert_id: int
    hazard: str
    area: str
    released_at: datetime
    devices_in_area: int  # registered devices whose home lies inside
    devices_reached: int  # of them, those whose phone received the message
    recipients: int  # devices and watched people inside
    watched_inside: int
    safe: int
    need_help: int
    no_answer: int


@dataclass(slots=True)
class _PlannedAnswer:
    at: datetime
    url: str
    who: str


@dataclass(slots=True)
class DisasterScene:
    """Resident devices and a flood alert along the Sumida; see the module docstring."""

    start: datetime
    seed: int
    residents: list[PlannedResident] = field(default_factory=list)
    release_at: datetime = field(init=False)
    alert_id: int | None = None
    released_at: datetime | None = None
    answered: int = 0
    _answers: list[_PlannedAnswer] = field(default_factory=list)
    _residents_seen: int = 0
    _posts_seen: int = 0
    _family_answered: bool = False

    def __post_init__(self) -> None:
        self.release_at = tokyo_moment(self.start, *FLOOD_AT)
        self.residents = plan_residents(seed=self.seed)

    @property
    def expected_devices(self) -> int:
        """How many registered devices the alert should reach (homes inside the area)."""
        return sum(resident.inside for resident in self.residents)

    def register(self, api_url: str, *, inbox_url: Any) -> None:
        """Register the resident devices through the public API, as the resident app does."""
        with httpx.Client(base_url=api_url + API_PREFIX, timeout=15) as client:
            for resident in self.residents:
                response = client.post(
                    "/residents/devices",
                    json={
                        "language": resident.language,
                        "home": {"lat": resident.lat, "lon": resident.lon},
                        "apprise_urls": [inbox_url(resident.path)],
                    },
                )
                response.raise_for_status()

    def describe(self) -> str:
        """Say what is scripted, for the demo's introduction."""
        return (
            f"flood (洪水) alert along the Sumida ({FLOOD_DESCRIPTION}); {len(self.residents)} resident devices "
            f"registered, {self.expected_devices} of them inside"
        )

    def play(self, now: datetime, *, operator: DemoOperator | None, posts: Sequence[InboxPost]) -> None:
        """Release the alert when due, plan answers to what reached the phones, and give the due answers."""
        if self.alert_id is None and now >= self.release_at and operator is not None:
            self._release(operator, now)
        if self.alert_id is None:
            return
        for post in posts[self._posts_seen :]:
            self._plan_answer(post)
        self._posts_seen = len(posts)
        due = [answer for answer in self._answers if answer.at <= now]
        for answer in due:
            self._answers.remove(answer)
            try:
                # the phone opens the link: the public safety route records the answer
                httpx.get(answer.url, timeout=15).raise_for_status()
                self.answered += 1
            except httpx.HTTPError as exc:
                log.warning("demo: %s could not answer: %s", answer.who, exc)

    def _release(self, operator: DemoOperator, now: datetime) -> None:
        created = operator.post(
            "/disaster/alerts",
            {
                "hazard": "洪水",
                "severity": "Severe",
                "urgency": "Immediate",
                "certainty": "Likely",
                "area": {"polygons": [flood_ring()], "description": FLOOD_DESCRIPTION},
                "texts": {"ja": {"headline": FLOOD_HEADLINE, "instruction": FLOOD_INSTRUCTION}},
            },
        )
        released = operator.post(f"/disaster/alerts/{created['id']}/release", {})
        self.alert_id = int(released["id"])
        self.released_at = now

    def _plan_answer(self, post: InboxPost) -> None:
        links = SAFETY_LINK.findall(post.message)
        if len(links) < 2 or self.released_at is None:
            return
        safe, need_help = links[0], links[1]
        path = post.path.strip("/")
        if path.startswith(RESIDENT_PATH):
            order = self._residents_seen
            self._residents_seen += 1
            if order % 3 == 2:
                return  # some never answer: the operator sees who has not
            url = need_help if order == 4 else safe
            at = self.released_at + timedelta(minutes=5 + 3 * order)
            self._answers.append(_PlannedAnswer(at, url, path))
        elif path.startswith("family/") and not self._family_answered:
            # a daughter has called her mother and answers for her
            self._family_answered = True
            self._answers.append(_PlannedAnswer(self.released_at + timedelta(minutes=12), safe, path))

    def row(self, desk: Any, posts: Sequence[InboxPost]) -> DisasterRow | None:
        """Read the alert's reach and answers from the desk, and what reached the phones."""
        if self.alert_id is None or self.released_at is None:
            return None
        report = desk.safety_report(self.alert_id)
        reached = {post.path.strip("/") for post in posts if post.path.strip("/").startswith(RESIDENT_PATH)}
        inside = {resident.path for resident in self.residents if resident.inside}
        return DisasterRow(
            alert_id=self.alert_id,
            hazard="flood",
            area=FLOOD_DESCRIPTION,
            released_at=self.released_at,
            devices_in_area=len(inside),
            devices_reached=len(reached & inside),
            recipients=report.everyone.total,
            watched_inside=report.watched.total,
            safe=report.everyone.safe,
            need_help=report.everyone.need_help,
            no_answer=report.everyone.total - report.everyone.safe - report.everyone.need_help,
        )


def flood_ring() -> list[list[float]]:
    """Return the flood area as one ring of [lat, lon]: the strip from the river bank 600 m inland, within Taito City.

    The strip, drawn from the bank down to its southern end, runs over the ward's boundary into
    the next wards; a ward's own alert stops at its boundary, so the strip is clipped to it.
    """
    inland = [(lat, lon - INLAND_DEG) for lat, lon in reversed(SUMIDA_BANK)]
    strip = Polygon([(lon, lat) for lat, lon in (*SUMIDA_BANK, *inland)])
    clipped = strip.intersection(municipality_boundary(TAITO_CITY))
    # where the bank strays a few metres past the boundary the clip leaves slivers: keep the ward's piece
    area = max(getattr(clipped, "geoms", [clipped]), key=lambda part: part.area)
    ring = orient(area, sign=1.0).exterior.coords[:-1]  # counter-clockwise, as drawn; not closed
    return [[round(lat, 6), round(lon, 6)] for lon, lat in ring]


def plan_residents(*, seed: int) -> list[PlannedResident]:
    """Place resident devices in Taito City: most inside the flood area, the rest well away from it."""
    taito = municipality_boundary(TAITO_CITY)
    area = Polygon([(lon, lat) for lat, lon in flood_ring()])
    inside = random_points_within(taito.intersection(area), RESIDENTS_INSIDE, seed=seed)
    # a margin (in degrees, only to place points) keeps the others clearly out
    elsewhere = random_points_within(taito.difference(area.buffer(0.003)), RESIDENTS_ELSEWHERE, seed=seed + 1)
    rng = random.Random(seed)
    points = [(lat, lon, True) for lat, lon in inside] + [(lat, lon, False) for lat, lon in elsewhere]
    rng.shuffle(points)
    return [
        PlannedResident(
            number=number,
            lat=round(lat, 6),
            lon=round(lon, 6),
            language=RESIDENT_LANGUAGES[(number - 1) % len(RESIDENT_LANGUAGES)],
            inside=inside_area,
        )
        for number, (lat, lon, inside_area) in enumerate(points, start=1)
    ]
