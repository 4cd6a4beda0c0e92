"""What the demo shows: a live terminal dashboard, or plain lines when stdout is not a terminal.

Both views take the same snapshots of the demo (simulated clock, households, alerts and the
notification texts that reached the inbox); the live one redraws them, the plain one prints
only what is new, so a CI log reads as a story.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from rich.console import Console, Group
from rich.layout import Layout
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from cloud.demo_scenes import DisasterRow, TrackerRow

TOKYO = ZoneInfo("Asia/Tokyo")

RULE_LABELS = {
    "emergency_button": "緊急ボタン emergency button",
    "inactivity": "動きなし inactivity",
    "gateway_offline": "ゲートウェイ停止 gateway offline",
    "safe_zone_exit": "安全エリアから出た left the safe zone",
    "left_home_at_night": "夜間に自宅を出た left home at night",
}
PLACE_LABELS = {
    "bedroom": "寝室",
    "living_room": "居間",
    "kitchen": "台所",
    "toilet": "トイレ",
    "bathroom": "浴室",
    "out": "外出中",
    "asleep": "就寝中",
    "outside": "屋外",
    "unknown": "?",
}
SEVERITY_STYLES = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}
NOTIFICATIONS_SHOWN = 6


def tokyo_clock(moment: datetime) -> str:
    """Format a moment as Asia/Tokyo wall time for people, e.g. "06:30"."""
    return moment.astimezone(TOKYO).strftime("%H:%M")


@dataclass(frozen=True, slots=True)
class HomeRow:
    """One watched household as the demo shows it."""

    household_id: str
    person: str
    address: str
    whereabouts: str
    gateway_state: str
    open_rules: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AlertRow:
    id: int
    household_id: str
    person: str
    rule: str
    severity: str
    state: str
    opened_at: datetime


@dataclass(frozen=True, slots=True)
class NotificationRow:
    """A notification text as it reached the demo's inbox."""

    received_at: datetime
    recipient: str
    title: str
    message: str


@dataclass(frozen=True, slots=True)
class DemoSnapshot:
    now: datetime
    api_url: str | None
    homes: Sequence[HomeRow]
    alerts: Sequence[AlertRow]
    notifications: Sequence[NotificationRow]
    messages_stored: int
    trackers: Sequence[TrackerRow] = field(default_factory=tuple)
    disaster: DisasterRow | None = None


class DemoView(Protocol):
    console: Console

    def start(self) -> None: ...

    def show(self, snapshot: DemoSnapshot) -> None: ...

    def stop(self) -> None: ...


def place_label(whereabouts: str) -> str:
    """Return where a resident is in Japanese ("fallen in kitchen" → "転倒（台所）")."""
    power_cut = whereabouts.endswith(" (停電)")
    place = whereabouts.removesuffix(" (停電)")
    if place.startswith("fallen in "):
        room = place.removeprefix("fallen in ")
        label = f"転倒（{PLACE_LABELS.get(room, room)}）"
    else:
        label = PLACE_LABELS.get(place, place)
    return f"{label} 停電" if power_cut else label


def rule_label(rule: str) -> str:
    """Return the bilingual label of a rule for people."""
    return RULE_LABELS.get(rule, rule)


def tracker_text(tracker: TrackerRow) -> str:
    """Say where a tracked person is ("… 1.2 km from home, outside the safe zone")."""
    where = "outside the safe zone 安全エリアの外" if tracker.outside else "inside the safe zone"
    distance = f"{tracker.distance_m / 1000:.1f} km from home" if tracker.kind == "gps" else "tag at home"
    return f"{tracker.tracker_id} {tracker.person}: {distance}, {where}"


def disaster_text(row: DisasterRow) -> str:
    """Say how far a disaster alert got: devices reached, watched people inside, the answers."""
    return (
        f"{row.hazard} alert ({row.area}, released {tokyo_clock(row.released_at)}): "
        f"{row.devices_reached}/{row.devices_in_area} devices in the area reached, "
        f"{row.watched_inside} watched people inside; {row.safe} safe, {row.need_help} need help, "
        f"{row.no_answer} not answered"
    )


class PlainDemoView:
    """Print each new alert, alert change and notification as one line (for logs and CI)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._alert_states: dict[int, str] = {}
        self._notifications_seen = 0
        self._last_hour: int | None = None
        self._outside: dict[str, bool | None] = {}
        self._disaster_line = ""

    def start(self) -> None:
        return None

    def show(self, snapshot: DemoSnapshot) -> None:
        local = snapshot.now.astimezone(TOKYO)
        if local.hour != self._last_hour:
            self._last_hour = local.hour
            online = sum(home.gateway_state == "online" for home in snapshot.homes)
            self._line(
                f"[{tokyo_clock(snapshot.now)} JST] {online}/{len(snapshot.homes)} gateways online, "
                f"{snapshot.messages_stored} messages stored"
            )
        for alert in snapshot.alerts:
            previous = self._alert_states.get(alert.id)
            if previous == alert.state:
                continue
            self._alert_states[alert.id] = alert.state
            if previous is None:
                self._line(
                    f"[{tokyo_clock(alert.opened_at)} JST] ALERT {alert.rule} ({alert.severity}) "
                    f"at {alert.household_id} {alert.person}: {rule_label(alert.rule)}"
                )
            else:
                self._line(
                    f"[{tokyo_clock(snapshot.now)} JST] alert {alert.rule} at {alert.household_id} {alert.state}"
                )
        for note in snapshot.notifications[self._notifications_seen :]:
            message = " / ".join(line.strip() for line in note.message.splitlines() if line.strip())
            self._line(
                f"[{tokyo_clock(note.received_at)} JST] NOTIFICATION to {note.recipient}: {note.title} — {message}"
            )
        self._notifications_seen = len(snapshot.notifications)
        for tracker in snapshot.trackers:
            if self._outside.get(tracker.tracker_id) == tracker.outside:
                continue
            self._outside[tracker.tracker_id] = tracker.outside
            if tracker.outside is not None:
                self._line(f"[{tokyo_clock(snapshot.now)} JST] TRACKER {tracker_text(tracker)}")
        if snapshot.disaster is not None:
            line = disaster_text(snapshot.disaster)
            if line != self._disaster_line:
                self._disaster_line = line
                self._line(f"[{tokyo_clock(snapshot.now)} JST] DISASTER {line}")

    def stop(self) -> None:
        return None

    def _line(self, text: str) -> None:
        self.console.print(text, markup=False, highlight=False, soft_wrap=True)


class LiveDemoView:
    """A rich Live dashboard: clock, households, open alerts and the latest notification texts."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._live = Live(console=console, refresh_per_second=4, transient=False, redirect_stderr=True)

    def start(self) -> None:
        self._live.start()

    def show(self, snapshot: DemoSnapshot) -> None:
        self._live.update(self._render(snapshot))

    def stop(self) -> None:
        self._live.stop()

    def _render(self, snapshot: DemoSnapshot) -> Layout:
        layout = Layout()
        layout.split_column(Layout(name="header", size=3), Layout(name="body"))
        layout["body"].split_row(Layout(name="homes", ratio=3), Layout(name="side", ratio=2))
        layout["side"].split_column(Layout(name="alerts"), Layout(name="scenes", size=8), Layout(name="notifications"))

        local = snapshot.now.astimezone(TOKYO)
        header = Text.assemble(
            ("見守り mimamori demo  ", "bold"),
            (local.strftime("%Y-%m-%d %H:%M:%S"), "bold cyan"),
            (" Asia/Tokyo   ", "cyan"),
            (f"API {snapshot.api_url or 'off'}   ", "green"),
            (f"{snapshot.messages_stored} messages stored   Ctrl-C to stop", "dim"),
        )
        layout["header"].update(Panel(header))
        layout["homes"].update(Panel(self._homes(snapshot.homes), title="households (台東区)"))
        layout["alerts"].update(Panel(self._alerts(snapshot.alerts), title="open alerts"))
        layout["scenes"].update(Panel(self._scenes(snapshot), title="trackers · disaster"))
        layout["notifications"].update(Panel(self._notifications(snapshot.notifications), title="latest notifications"))
        return layout

    def _homes(self, homes: Sequence[HomeRow]) -> Table:
        table = Table(expand=True, box=None, pad_edge=False)
        table.add_column("home", no_wrap=True)
        table.add_column("person", no_wrap=True)
        table.add_column("address", overflow="ellipsis", no_wrap=True)
        table.add_column("now", no_wrap=True)
        table.add_column("gateway", no_wrap=True)
        table.add_column("alerts", overflow="fold")
        for home in homes:
            gateway_style = {"online": "green", "offline": "bold red"}.get(home.gateway_state, "dim")
            table.add_row(
                home.household_id,
                home.person,
                home.address,
                Text(place_label(home.whereabouts), style="bold red" if "fallen" in home.whereabouts else ""),
                Text(home.gateway_state, style=gateway_style),
                Text(", ".join(home.open_rules), style="bold red" if home.open_rules else ""),
            )
        return table

    def _alerts(self, alerts: Sequence[AlertRow]) -> Table:
        table = Table(expand=True, box=None, pad_edge=False)
        table.add_column("opened", no_wrap=True)
        table.add_column("home", no_wrap=True)
        table.add_column("alert")
        table.add_column("state", no_wrap=True)
        for alert in alerts:
            if alert.state == "resolved":
                continue
            table.add_row(
                tokyo_clock(alert.opened_at),
                f"{alert.household_id} {alert.person}",
                Text(rule_label(alert.rule), style=SEVERITY_STYLES.get(alert.severity, "")),
                alert.state,
            )
        return table

    def _scenes(self, snapshot: DemoSnapshot) -> Group:
        lines = [
            Text(tracker_text(tracker), style="bold red" if tracker.outside else "") for tracker in snapshot.trackers
        ]
        if snapshot.disaster is not None:
            lines.append(Text(disaster_text(snapshot.disaster), style="bold"))
        return Group(*lines) if lines else Group(Text("(none yet)", style="dim"))

    def _notifications(self, notifications: Sequence[NotificationRow]) -> Group:
        parts: list[Text] = []
        for note in list(notifications)[-NOTIFICATIONS_SHOWN:][::-1]:
            parts.append(
                Text.assemble(
                    (f"{tokyo_clock(note.received_at)} → {note.recipient}\n", "dim"),
                    (f"{note.title}\n", "bold"),
                    (f"{note.message.strip()}\n", ""),
                )
            )
        return Group(*parts) if parts else Group(Text("(none yet)", style="dim"))


def make_view(console: Console | None = None) -> DemoView:
    """Return the live view on a terminal and the plain view otherwise (pipes, CI)."""
    console = console or Console()
    if console.is_terminal:
        return LiveDemoView(console)
    return PlainDemoView(console)
