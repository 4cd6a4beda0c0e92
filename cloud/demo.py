"""`mimamori demo`: the whole system on one machine, with a simulated morning in Taito City.

An embedded MQTT broker (amqtt) on a free loopback port, the cloud service on an accelerated
clock that starts at 06:00 Asia/Tokyo today, simulated homes at random places inside Taito
City speaking MQTT like real gateways, and a small HTTP inbox that plays the families' and
caseworkers' phones. Three incidents are scripted: an emergency button, a fall (which the
inactivity rule notices after four waking hours) and a gateway power loss. Two scenes go through
the trackers and disaster paths (cloud/demo_scenes.py): a person with dementia walks out of their
safe zone before dawn, and a flood alert along the Sumida reaches residents' devices, some of whom
answer.

The demo is the one place in cloud/ that imports simulators/: it plays the world outside.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import random
import re
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from rich.console import Console
from rich.logging import RichHandler
from sqlalchemy import select

from cloud.api.app import API_PREFIX
from cloud.config import DEMO_SESSION_SECRET, Settings
from cloud.db.models import Alert, Gateway
from cloud.db.session import Sessions, make_sessions, migrate
from cloud.demo_scenes import RESIDENT_PATH, DemoOperator, DisasterScene, TrackerScene
from cloud.demo_view import AlertRow, DemoSnapshot, HomeRow, NotificationRow, make_view, tokyo_clock
from cloud.provisioning import add_contact, add_gateway, add_household
from cloud.service import CloudService
from maps import TAITO_CITY, distance_m, evacuation_shelters, municipality_boundary, random_points_within
from protocol import AcceleratedClock, Clock, ManualClock
from simulators import TOKYO, HouseholdConfig, HouseholdFleet, SimulatedHousehold
from simulators.inbox import Inbox, InboxPost

log = logging.getLogger(__name__)

SEED = 2026
SCRIPTED_RULES = ("emergency_button", "inactivity", "gateway_offline", "safe_zone_exit")
REFRESH_S = 0.25
DATABASE_FILE = "mimamori.db"
TELEMETRY_FILE = "telemetry.db"
DEMO_RULE_TICK_S = 0.1
# At x900 the usual 180 s of silence before "gateway offline" is 0.2 wall seconds, less than
# one busy moment of a single Python process; allow a few wall seconds of lag instead. The
# power cut still shows at once, through the gateway's Last Will.
DEMO_TOLERATED_LAG_S = 3.0
POWER_LOSS = timedelta(hours=1)

FAMILY_NAMES = (
    "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤",
    "吉田", "山田", "佐々木", "山口", "松本", "井上", "木村", "林", "斎藤", "清水",
)  # fmt: skip
ELDER_GIVEN_NAMES = (
    "ハナ", "キヨ", "トミ", "幸子", "和子", "節子", "美代子", "文子", "久子", "静江",
    "茂", "清", "実", "勇", "正雄", "昭二", "武", "博", "一郎", "三郎",
)  # fmt: skip
CHILD_GIVEN_NAMES = (
    ("恵子", "長女"),
    ("直美", "次女"),
    ("浩", "長男"),
    ("健一", "長男"),
    ("由美子", "長女"),
    ("誠", "次男"),
)
CASEWORKER = "山口 真理（台東区 地域包括支援センター）"
TOWN_IN_ADDRESS = re.compile(r"台東区(?P<town>[^\d０-９]+)(?P<chome>\d+)")


# --- the embedded broker ------------------------------------------------------------------------


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedBroker:
    """An amqtt MQTT 3.1.1 broker in its own thread and event loop, on a loopback port."""

    def __init__(self, *, port: int | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="embedded-broker", daemon=True)
        self._broker: Any = None

    def start(self, timeout: float = 10.0) -> EmbeddedBroker:
        """Start the broker and wait until it listens."""
        from amqtt.broker import Broker

        # amqtt logs every slow PUBACK with a traceback; in a demo that only costs time
        for name in ("amqtt", "transitions"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            # only anonymous auth: amqtt's packet and $SYS plugins cost time and say nothing here
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }
        self._thread.start()

        async def boot() -> Any:
            broker = Broker(config)
            await broker.start()
            return broker

        self._broker = asyncio.run_coroutine_threadsafe(boot(), self._loop).result(timeout)
        return self

    def stop(self) -> None:
        """Shut the broker down and end its thread."""
        if self._broker is not None:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop).result(10)
            self._broker = None
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        if not self._loop.is_running():
            self._loop.close()


class DemoClock:
    """The demo's simulated time: held at `start` while the world is set up, then `speed` times the wall clock."""

    def __init__(self, *, start: datetime, speed: float) -> None:
        self.start = start
        self.speed = speed
        self._running: AcceleratedClock | None = None

    def run(self) -> None:
        """Let time run from `start` on."""
        self._running = AcceleratedClock(start=self.start, speed=self.speed)

    def now(self) -> datetime:
        """Return the simulated now: `start` until run() is called."""
        running = self._running
        return running.now() if running is not None else self.start.astimezone(UTC)


# --- the inbox that plays the phones ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InboxMessage:
    received_at: datetime
    path: str
    title: str
    message: str


class NotificationInbox(Inbox):
    """The phones of the demo: keeps what apprise's json:// sends, stamped with the demo's clock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._messages: list[InboxMessage] = []
        self._messages_lock = threading.Lock()
        super().__init__(on_post=self._stamp, name="demo-inbox")

    def messages(self) -> list[InboxMessage]:
        """Return the texts received so far, oldest first."""
        with self._messages_lock:
            return list(self._messages)

    def _stamp(self, post: InboxPost) -> None:
        message = InboxMessage(received_at=self.clock.now(), path=post.path, title=post.title, message=post.message)
        with self._messages_lock:
            self._messages.append(message)


# --- the homes ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoHome:
    """One simulated home with the person watched over and who hears about them."""

    household_id: str
    gateway_id: str
    person: str
    address: str
    lat: float
    lon: float
    family: str
    family_relation: str


def _address_near(lat: float, lon: float, rng: random.Random) -> str:
    """Make an address-like label from the town and chōme of the nearest shelter."""
    nearest = min(evacuation_shelters(), key=lambda shelter: distance_m((lat, lon), (shelter.lat, shelter.lon)))
    found = TOWN_IN_ADDRESS.search(nearest.address)
    if found is None:
        return f"東京都台東区 {rng.randint(1, 30)}-{rng.randint(1, 20)}"
    return f"東京都台東区{found['town']}{found['chome']}丁目{rng.randint(1, 30)}-{rng.randint(1, 20)}"


def demo_homes(count: int, *, seed: int = SEED) -> list[DemoHome]:
    """Return `count` homes at random places inside Taito City, the same ones for the same seed."""
    rng = random.Random(seed)
    points = random_points_within(municipality_boundary(TAITO_CITY), count, seed=seed)
    homes = []
    for index, (lat, lon) in enumerate(points, start=1):
        family_name = FAMILY_NAMES[(index - 1) % len(FAMILY_NAMES)]
        child, relation = rng.choice(CHILD_GIVEN_NAMES)
        homes.append(
            DemoHome(
                household_id=f"taito-{index:03d}",
                gateway_id=f"gw-taito-{index:03d}",
                person=f"{family_name} {rng.choice(ELDER_GIVEN_NAMES)}",
                address=_address_near(lat, lon, rng),
                lat=round(lat, 6),
                lon=round(lon, 6),
                family=f"{family_name} {child}",
                family_relation=relation,
            )
        )
    return homes


def seed_homes(sessions: Sessions, homes: Sequence[DemoHome], *, inbox: NotificationInbox, clock: Clock) -> None:
    """Register the homes, their gateways and contacts (family first, then the caseworker)."""
    for home in homes:
        add_household(
            sessions,
            household_id=home.household_id,
            name=f"{home.person}さん宅",
            address=home.address,
            lat=home.lat,
            lon=home.lon,
            person_name=home.person,
            clock=clock,
        )
        add_gateway(sessions, gateway_id=home.gateway_id, household_id=home.household_id, label="居間", clock=clock)
        add_contact(
            sessions,
            household_id=home.household_id,
            name=home.family,
            role="family",
            relation=home.family_relation,
            channels=[inbox.url(f"family/{home.household_id}")],
            priority=0,
        )
        add_contact(
            sessions,
            household_id=home.household_id,
            name=CASEWORKER,
            role="caseworker",
            channels=[inbox.url(f"caseworker/{home.household_id}")],
            priority=1,
        )


DEMO_PASSWORD = "mimamori-demo"
DEMO_USERS = (("caseworker", "caseworker", "台東区 佐藤"), ("family", "family", "田中 一郎 (家族)"))


def seed_users(sessions: Sessions, homes: Sequence[DemoHome], *, clock: Clock) -> None:
    """Create the demo's logins: a caseworker of Taito City and the family of the first home."""
    from cloud.auth import AccountError, Accounts
    from cloud.config import DEMO_SESSION_SECRET

    accounts = Accounts(sessions=sessions, clock=clock, secret=DEMO_SESSION_SECRET)
    for username, role, name in DEMO_USERS:
        # a demo folder used again keeps its users
        with contextlib.suppress(AccountError):
            accounts.add_user(
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                display_name=name,
                wards=["13106"] if role == "caseworker" else [],
                households=[homes[0].household_id] if role == "family" else [],
            )


def prepare_database(
    settings: Settings, homes: Sequence[DemoHome], *, inbox: NotificationInbox, start: datetime
) -> None:
    """Create the demo's database and register its homes, registered as of `start`."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate(settings.database_url)
    sessions = make_sessions(settings.database_url)
    try:
        seed_homes(sessions, homes, inbox=inbox, clock=ManualClock(start))
        seed_users(sessions, homes, clock=ManualClock(start))
    finally:
        sessions.kw["bind"].dispose()


def _import_service_parts() -> None:
    """Import what CloudService.start() imports lazily, so that time is not simulated time."""
    for module in ("uvicorn", "cloud.api", "cloud.alerting", "cloud.notifier", "alerts.channels", "alerts.engine"):
        importlib.import_module(module)


# --- the scripted morning -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScriptedIncident:
    rule: str
    household_id: str
    at: datetime
    text: str


@dataclass(frozen=True, slots=True)
class ScriptedAcknowledgement:
    """Someone answers an alert at a set time, as the family would from their phone."""

    rule: str
    household_id: str
    at: datetime
    by: str


def script_incidents(
    homes: Sequence[DemoHome], households: Sequence[SimulatedHousehold], *, now: datetime
) -> list[ScriptedIncident]:
    """Script a fall, an emergency button and a power loss in the first homes; return what and when."""
    day = now.astimezone(TOKYO).date()

    def at_local(hour: int, minute: int) -> datetime:
        moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=TOKYO)
        # the fleet starts a little after 06:00: keep every incident safely in the future
        return max(moment, now + timedelta(minutes=3))

    button, fall, power = (index % len(homes) for index in range(3))
    fall_at = at_local(6, 20)
    households[fall].fall(fall_at)
    button_at = at_local(6, 30)
    households[button].emergency_button(button_at)
    power_at = at_local(6, 40)
    households[power].power_loss(power_at, POWER_LOSS)
    return [
        ScriptedIncident("inactivity", homes[fall].household_id, fall_at, f"{homes[fall].person} falls"),
        ScriptedIncident(
            "emergency_button", homes[button].household_id, button_at, f"{homes[button].person} presses the button"
        ),
        ScriptedIncident(
            "gateway_offline", homes[power].household_id, power_at, f"power cut at {homes[power].household_id}"
        ),
    ]


# --- the demo -----------------------------------------------------------------------------------


def missing_scripted_alerts(snapshot: DemoSnapshot, incidents: Sequence[ScriptedIncident]) -> list[str]:
    """Return the scripted rules that have not raised an alert at their home."""
    raised = {(alert.household_id, alert.rule) for alert in snapshot.alerts}
    return [incident.rule for incident in incidents if (incident.household_id, incident.rule) not in raised]


def missing_disaster_reach(snapshot: DemoSnapshot, disaster: DisasterScene | None) -> str | None:
    """Say what the scripted flood alert has not done yet (released, reached every device inside), or None."""
    if disaster is None:
        return None
    row = snapshot.disaster
    if row is None:
        return "the flood alert was not released"
    if row.devices_reached < disaster.expected_devices:
        return f"the flood alert reached {row.devices_reached} of {disaster.expected_devices} devices in its area"
    return None


def _broker_address(mqtt_url: str) -> tuple[str, int]:
    parts = urlsplit(mqtt_url if "://" in mqtt_url else f"mqtt://{mqtt_url}")
    return parts.hostname or "127.0.0.1", parts.port or 1883


class DemoWorld:
    """Everything the demo runs: the broker, the phones' inbox, the cloud and the simulated homes."""

    def __init__(self, *, speed: float, households: int, port: int, mqtt_url: str | None, folder: Path) -> None:
        self.speed = speed
        self.port = port
        self.mqtt_url = mqtt_url
        self.folder = folder
        self.homes = demo_homes(households)
        self.broker: EmbeddedBroker | None = None
        self.inbox: NotificationInbox | None = None
        self.service: CloudService | None = None
        self.fleet: HouseholdFleet | None = None
        self.simulated: list[SimulatedHousehold] = []
        self.incidents: list[ScriptedIncident] = []
        self.acknowledgements: list[ScriptedAcknowledgement] = []
        self.clock: Clock | None = None
        self.trackers: TrackerScene | None = None
        self.disaster: DisasterScene | None = None
        self.operator: DemoOperator | None = None

    def start(self) -> DemoWorld:
        """Bring everything up; simulated time starts at 06:00 JST once the slow parts are done."""
        if self.mqtt_url is None:
            self.broker = EmbeddedBroker().start()
            host, mqtt_port, protocol_version = self.broker.host, self.broker.port, "3.1.1"
        else:
            (host, mqtt_port), protocol_version = _broker_address(self.mqtt_url), "5"
        today = datetime.now(TOKYO).date()
        start = datetime(today.year, today.month, today.day, 6, 0, tzinfo=TOKYO)
        self.inbox = NotificationInbox(ManualClock(start)).start()
        settings = Settings(
            demo=True,
            data_dir=self.folder,
            # never a database from the environment: the demo writes made-up people into it
            database_url=f"sqlite:///{self.folder / DATABASE_FILE}",
            telemetry_url=f"sqlite:///{self.folder / TELEMETRY_FILE}",
            api_port=self.port,
            mqtt_host=host,
            mqtt_port=mqtt_port,
            mqtt_protocol=protocol_version,
            mqtt_client_id="mimamori-demo-cloud",
            session_secret=DEMO_SESSION_SECRET,
            rule_tick_s=DEMO_RULE_TICK_S,
            gateway_offline_after_s=max(180.0, 180.0 + DEMO_TOLERATED_LAG_S * self.speed),
        )
        # everything slow happens before simulated time starts running, so the morning
        # begins at 06:00 and not half an hour later
        prepare_database(settings, self.homes, inbox=self.inbox, start=start)
        _import_service_parts()

        clock = DemoClock(start=start, speed=self.speed)
        self.clock = clock
        self.inbox.clock = clock
        self.service = CloudService(settings, clock=clock).start()
        self._set_up_scenes(self.service, start=start)
        clock.run()
        config = HouseholdConfig(host=host, port=mqtt_port)
        self.simulated = [
            SimulatedHousehold(home.gateway_id, clock=clock, seed=SEED + index, config=config)
            for index, home in enumerate(self.homes)
        ]
        assert self.trackers is not None
        self.trackers.attach(self.homes, self.simulated)
        self.fleet = HouseholdFleet(self.simulated, clock=clock).start()
        self.incidents = script_incidents(self.homes, self.simulated, now=clock.now())
        wanderer = self.trackers.wanderer_home
        self.incidents.append(
            ScriptedIncident(
                "safe_zone_exit",
                wanderer.household_id,
                self.trackers.wander_at,
                f"{wanderer.person} walks out of the safe zone ({self.trackers.describe()})",
            )
        )
        # the daughter answers the emergency a quarter of an hour later: the others hear who did,
        # and the reminders stop
        button = next(incident for incident in self.incidents if incident.rule == "emergency_button")
        home = next(home for home in self.homes if home.household_id == button.household_id)
        wanderer_family = next(home for home in self.homes if home.household_id == wanderer.household_id).family
        self.acknowledgements = [
            ScriptedAcknowledgement(
                "emergency_button", button.household_id, button.at + timedelta(minutes=15), f"{home.family}（家族）"
            ),
            # the family sets out to look for them
            ScriptedAcknowledgement(
                "safe_zone_exit",
                wanderer.household_id,
                self.trackers.wander_at + timedelta(minutes=25),
                f"{wanderer_family}（家族）",
            ),
        ]
        return self

    def _set_up_scenes(self, service: CloudService, *, start: datetime) -> None:
        """Register trackers, zones and resident devices through the API while the clock is held."""
        inbox = self.inbox
        if service.api_url is None or inbox is None:
            raise RuntimeError("the demo needs its API and inbox")
        try:
            self.operator = DemoOperator(service.api_url, username=DEMO_USERS[0][0], password=DEMO_PASSWORD)
            self.trackers = TrackerScene(self.homes, start=start, seed=SEED)
            self.trackers.register(self.operator)
            self.disaster = DisasterScene(start=start, seed=SEED)
            self.disaster.register(service.api_url, inbox_url=inbox.url)
        except httpx.HTTPError as exc:
            raise RuntimeError(f"the API refused the demo's trackers or residents: {exc}") from exc

    def play_script(self) -> None:
        """Carry out the scripted acknowledgements that are due, and the flood alert and its answers."""
        service, clock = self.service, self.clock
        if service is None or clock is None:
            return
        now = clock.now()
        for scripted in [item for item in self.acknowledgements if item.at <= now]:
            with service.sessions() as session:
                alert_id = session.scalar(
                    select(Alert.id).where(
                        Alert.household_id == scripted.household_id,
                        Alert.rule == scripted.rule,
                        Alert.state == "open",
                    )
                )
            if alert_id is None:
                continue
            service.lifecycle.acknowledge(alert_id, by=scripted.by)
            self.acknowledgements.remove(scripted)
        if self.disaster is not None and self.inbox is not None:
            self.disaster.play(now, operator=self.operator, posts=self.inbox.posts())

    def stop(self) -> None:
        """Take everything down, the cloud first: homes saying goodbye are not news at the end."""
        if self.operator is not None:
            self.operator.close()
            self.operator = None
        if self.service is not None:
            self.service.stop()
            self.service = None
        if self.fleet is not None:
            self.fleet.stop()
            self.fleet = None
        if self.broker is not None:
            self.broker.stop()
            self.broker = None
        if self.inbox is not None:
            self.inbox.stop()
            self.inbox = None

    def check(self) -> None:
        """Raise if the simulated homes stopped working."""
        if self.fleet is not None and self.fleet.error is not None:
            raise RuntimeError("the simulated homes stopped") from self.fleet.error

    def snapshot(self) -> DemoSnapshot:
        """Read the cloud's view of the homes and alerts, and the inbox, into one snapshot."""
        service, inbox, clock = self.service, self.inbox, self.clock
        if service is None or inbox is None or clock is None:
            raise RuntimeError("start the demo first")
        now = clock.now()
        people = {home.household_id: home.person for home in self.homes}
        with service.sessions() as session:
            gateway_states = {gateway.id: gateway.state for gateway in session.scalars(select(Gateway))}
            alerts = [
                AlertRow(
                    id=alert.id,
                    household_id=alert.household_id,
                    person=people.get(alert.household_id, ""),
                    rule=alert.rule,
                    severity=alert.severity,
                    state=alert.state,
                    opened_at=alert.opened_at,
                )
                for alert in session.scalars(select(Alert).order_by(Alert.id))
            ]
        open_rules: dict[str, list[str]] = {}
        for alert in alerts:
            if alert.state != "resolved":
                open_rules.setdefault(alert.household_id, []).append(alert.rule)
        homes = [
            HomeRow(
                household_id=home.household_id,
                person=home.person,
                address=home.address,
                whereabouts=simulated.place_at(now) if simulated.powered else f"{simulated.place_at(now)} (停電)",
                gateway_state=gateway_states.get(home.gateway_id, "unknown"),
                open_rules=tuple(open_rules.get(home.household_id, ())),
            )
            for home, simulated in zip(self.homes, self.simulated, strict=True)
        ]
        # the residents' phones are counted in the disaster row, not listed one by one
        notifications = [
            NotificationRow(received_at=m.received_at, recipient=m.path.strip("/"), title=m.title, message=m.message)
            for m in inbox.messages()
            if not m.path.strip("/").startswith(RESIDENT_PATH)
        ]
        return DemoSnapshot(
            now=now,
            api_url=service.api_url,
            homes=homes,
            alerts=alerts,
            notifications=notifications,
            messages_stored=service.stats.accepted,
            trackers=self.trackers.rows(service.tracker_desk) if self.trackers is not None else (),
            disaster=self.disaster.row(service.disaster, inbox.posts()) if self.disaster is not None else None,
        )


def _quiet_logging(console: Console) -> None:
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(RichHandler(console=console, show_path=False))
        root.setLevel(logging.WARNING)


def _introduce(console: Console, world: DemoWorld) -> None:
    service = world.service
    assert service is not None
    broker = "embedded amqtt" if world.broker is not None else "external"
    console.print(
        f"mimamori demo: {len(world.homes)} homes in Taito City, simulated time x{world.speed:g} from 06:00 JST"
    )
    console.print(f"console: {service.api_url}/web/console/  (family view: {service.api_url}/web/family/)")
    for username, role, _ in DEMO_USERS:
        console.print(f"  log in as {username} / {DEMO_PASSWORD} ({role})")
    console.print(f"API: {service.api_url}{API_PREFIX}/alerts (docs at {service.api_url}/docs)")
    console.print(f"MQTT broker: {service.settings.mqtt_host}:{service.settings.mqtt_port} ({broker})")
    console.print(f"data: {world.folder}")
    for incident in world.incidents:
        console.print(f"scripted: {tokyo_clock(incident.at)} JST {incident.text} → expect {incident.rule}")
    if world.disaster is not None:
        console.print(f"scripted: {tokyo_clock(world.disaster.release_at)} JST {world.disaster.describe()}")


def run_demo(
    *,
    duration: float | None,
    speed: float,
    households: int,
    port: int,
    mqtt_url: str | None,
    data_dir: Path | None,
) -> int:
    """Run the demo until `duration` wall seconds pass (or Ctrl-C); 0 when every scripted alert was raised."""
    if households < 1:
        raise ValueError("the demo needs at least one household")
    console = Console()
    if data_dir is not None and (data_dir / DATABASE_FILE).exists():
        console.print(f"error: {data_dir} already holds a demo database; give an empty or new folder")
        return 2
    _quiet_logging(Console(stderr=True))
    folder = Path(tempfile.mkdtemp(prefix="mimamori-demo-")) if data_dir is None else data_dir
    world = DemoWorld(speed=speed, households=households, port=port, mqtt_url=mqtt_url, folder=folder)
    view = make_view(console)
    snapshot: DemoSnapshot | None = None
    interrupted = False
    try:
        try:
            world.start()
        except (RuntimeError, OSError) as exc:
            # a busy port or an unreachable broker: say so in one line, no traceback
            console.print(f"error: the demo could not start: {exc}")
            return 2
        _introduce(console, world)
        deadline = None if duration is None else time.monotonic() + duration
        view.start()
        try:
            while deadline is None or time.monotonic() < deadline:
                snapshot = world.snapshot()
                view.show(snapshot)
                world.check()
                world.play_script()
                time.sleep(REFRESH_S)
        finally:
            view.stop()
        snapshot = world.snapshot()
    except KeyboardInterrupt:
        interrupted = True
    finally:
        world.stop()
        if data_dir is None:
            shutil.rmtree(folder, ignore_errors=True)

    if interrupted and duration is None:
        console.print("demo stopped")
        return 0
    missing = missing_scripted_alerts(snapshot, world.incidents) if snapshot is not None else list(SCRIPTED_RULES)
    raised = [rule for rule in SCRIPTED_RULES if rule not in missing]
    console.print(f"scripted alerts raised: {', '.join(raised) or 'none'}")
    unreached = missing_disaster_reach(snapshot, world.disaster) if snapshot is not None else "no snapshot"
    if snapshot is not None:
        console.print(f"notifications received: {len(snapshot.notifications)}")
        if snapshot.disaster is not None:
            row = snapshot.disaster
            console.print(
                f"disaster alert: {row.hazard} reached {row.devices_reached} of {row.devices_in_area} devices in its "
                f"area ({row.watched_inside} watched people inside); answers: {row.safe} safe, "
                f"{row.need_help} need help, {row.no_answer} not yet"
            )
    if missing:
        console.print(f"scripted alerts missing: {', '.join(missing)}")
    if unreached:
        console.print(f"scripted disaster incomplete: {unreached}")
    return 1 if missing or unreached else 0
