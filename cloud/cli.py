"""The `mimamori` command: run the server, migrate, provision, look at alerts, run the demo."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from cloud.config import Settings

if TYPE_CHECKING:
    from cloud.db.session import Sessions
    from cloud.disaster import DisasterDesk

T = TypeVar("T")

app = typer.Typer(
    name="mimamori",
    help="mimamori: watch over elderly people living alone (IoT edge + cloud).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The entity database.", no_args_is_help=True)
household_app = typer.Typer(help="Households watched over.", no_args_is_help=True)
gateway_app = typer.Typer(help="Gateways allowed to send data.", no_args_is_help=True)
contact_app = typer.Typer(help="People notified about a household.", no_args_is_help=True)
alerts_app = typer.Typer(help="Alerts.", no_args_is_help=True)
user_app = typer.Typer(help="People who log in to the console and the family view.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(household_app, name="household")
app.add_typer(gateway_app, name="gateway")
app.add_typer(contact_app, name="contact")
app.add_typer(alerts_app, name="alerts")
app.add_typer(user_app, name="user")
replay_app = typer.Typer(help="Replay recorded homes through the real stack.", no_args_is_help=True)
evaluate_app = typer.Typer(help="Measure how well the rules work.", no_args_is_help=True)
app.add_typer(replay_app, name="replay")
app.add_typer(evaluate_app, name="evaluate")
disaster_app = typer.Typer(help="Disaster alerts: import CAP messages, list alerts.", no_args_is_help=True)
app.add_typer(disaster_app, name="disaster")
trackers_app = typer.Typer(help="Trackers of people who may wander, and their location history.", no_args_is_help=True)
app.add_typer(trackers_app, name="trackers")

console = Console()
errors = Console(stderr=True)

EXIT_CONFIG = 2
EXIT_REFUSED = 1


def _fail(message: str, code: int = EXIT_CONFIG) -> NoReturn:
    errors.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _settings(data_dir: Path | None = None) -> Settings:
    """Read the settings from MIMAMORI_* variables; a broken value exits with code 2 and one line."""
    try:
        return Settings(data_dir=data_dir) if data_dir is not None else Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        variable = f"MIMAMORI_{where.upper()}" if where else "settings"
        _fail(f"bad configuration ({variable}): {first['msg']}")


def _logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _sessions(settings: Settings) -> Sessions:
    from cloud.db import make_sessions, migrate

    try:
        migrate(settings.database_url)
    except Exception as exc:
        _fail(f"cannot open the database {settings.database_url}: {exc}")
    return make_sessions(settings.database_url)


def _provision(action: Callable[[], T]) -> T:
    from cloud.provisioning import ProvisioningError

    try:
        return action()
    except ProvisioningError as exc:
        _fail(str(exc), EXIT_REFUSED)


DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Folder of the databases (MIMAMORI_DATA_DIR).", show_default=False)
]


@app.command()
def serve(data_dir: DataDir = None) -> None:
    """Run the cloud server (ingest, rules, notifications, API) until Ctrl-C."""
    from cloud.service import CloudService

    settings = _settings(data_dir)
    _logging(settings.log_level)
    service = CloudService(settings)
    try:
        service.start()
    except Exception as exc:
        _fail(f"could not start: {exc}", EXIT_REFUSED)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    console.print(f"mimamori serving; API at {service.api_url or 'off'}; Ctrl-C stops")
    try:
        stop.wait()
    finally:
        service.stop()


@db_app.command("upgrade")
def db_upgrade(data_dir: DataDir = None) -> None:
    """Create or upgrade the database schema to the newest version."""
    settings = _settings(data_dir)
    _sessions(settings)
    console.print("database is up to date")


@trackers_app.command("purge")
def trackers_purge(
    days: Annotated[float, typer.Option(help="Keep this many days of location history.")] = 30.0,
    data_dir: DataDir = None,
) -> None:
    """Delete location fixes older than the retention (run it daily, e.g. from a systemd timer)."""
    from cloud.trackers import purge_location_history
    from protocol import SystemClock

    settings = _settings(data_dir)
    removed = purge_location_history(_sessions(settings), now=SystemClock().now(), keep_days=days)
    console.print(f"{removed} location fix(es) older than {days:g} days deleted")


@household_app.command("add")
def household_add(
    household_id: Annotated[str, typer.Argument(help="Id of the household, e.g. taito-0001.")],
    name: Annotated[str, typer.Option(help="Name shown to caseworkers.")],
    person: Annotated[str | None, typer.Option(help="Name of the person watched over.")] = None,
    address: Annotated[str, typer.Option(help="Postal address.")] = "",
    lat: Annotated[float | None, typer.Option(help="Latitude (WGS84).")] = None,
    lon: Annotated[float | None, typer.Option(help="Longitude (WGS84).")] = None,
    data_dir: DataDir = None,
) -> None:
    """Register a household."""
    from cloud.provisioning import add_household

    sessions = _sessions(_settings(data_dir))
    _provision(
        lambda: add_household(
            sessions,
            household_id=household_id,
            name=name,
            address=address,
            lat=lat,
            lon=lon,
            person_name=person,
        )
    )
    console.print(f"household {household_id} added")


@gateway_app.command("add")
def gateway_add(
    gateway_id: Annotated[str, typer.Argument(help="Gateway id, as in its MQTT topics.")],
    household: Annotated[str | None, typer.Option(help="Household the gateway is installed in.")] = None,
    label: Annotated[str, typer.Option(help="Free text, e.g. where it is mounted.")] = "",
    data_dir: DataDir = None,
) -> None:
    """Register a gateway so its messages are accepted."""
    from cloud.provisioning import add_gateway

    sessions = _sessions(_settings(data_dir))
    _provision(lambda: add_gateway(sessions, gateway_id=gateway_id, household_id=household, label=label))
    console.print(f"gateway {gateway_id} added")


@contact_app.command("add")
def contact_add(
    household: Annotated[str, typer.Argument(help="Household the contact is notified about.")],
    name: Annotated[str, typer.Option(help="Name of the contact.")],
    channel: Annotated[
        list[str] | None, typer.Option(help="Apprise URL (mailto://, line://, json://, …); repeat for more.")
    ] = None,
    role: Annotated[str, typer.Option(help="family, caseworker, installer or oncall.")] = "family",
    language: Annotated[str, typer.Option(help="Language of the messages (ja, en, zh, ko, ja-easy).")] = "ja",
    priority: Annotated[int, typer.Option(help="Lower is notified first.")] = 0,
    relation: Annotated[str, typer.Option(help="Relation to the person, e.g. 長女.")] = "",
    data_dir: DataDir = None,
) -> None:
    """Add a contact to a household."""
    from cloud.provisioning import add_contact

    sessions = _sessions(_settings(data_dir))
    contact_id = _provision(
        lambda: add_contact(
            sessions,
            household_id=household,
            name=name,
            role=role,
            language=language,
            channels=channel or [],
            priority=priority,
            relation=relation,
        )
    )
    console.print(f"contact {contact_id} added to {household}")


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="admin, caseworker, family or installer.")],
    name: Annotated[str | None, typer.Option(help="Name shown to others (e.g. when acknowledging).")] = None,
    ward: Annotated[list[str] | None, typer.Option(help="Ward code a caseworker covers (13106); repeat.")] = None,
    household: Annotated[list[str] | None, typer.Option(help="Household a family member watches; repeat.")] = None,
    language: Annotated[str, typer.Option(help="Language of the pages (ja, en).")] = "ja",
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, envvar="MIMAMORI_NEW_PASSWORD")
    ] = "",
    data_dir: DataDir = None,
) -> None:
    """Add a user who logs in to the web pages (the password is asked for, or MIMAMORI_NEW_PASSWORD)."""
    import secrets

    from cloud.auth import AccountError, Accounts
    from protocol import SystemClock

    settings = _settings(data_dir)
    accounts = Accounts(
        sessions=_sessions(settings),
        clock=SystemClock(),
        secret=settings.session_secret_value or secrets.token_urlsafe(32),
    )
    try:
        user_id = accounts.add_user(
            username=username,
            password=password,
            role=role,
            display_name=name,
            wards=ward or [],
            households=household or [],
            language=language,
        )
    except (AccountError, ValueError) as exc:
        _fail(str(exc), EXIT_REFUSED)
    console.print(f"user {username} added ({role}, id {user_id})")


@user_app.command("token")
def user_token(
    username: Annotated[str, typer.Argument(help="The user the integration acts as (its role and scope).")],
    label: Annotated[str, typer.Option(help="What the token is for, e.g. the ward's data warehouse.")] = "",
    data_dir: DataDir = None,
) -> None:
    """Issue an API token for an integration; it is printed once and stored only as a keyed hash."""
    from cloud.auth import AccountError, Accounts
    from protocol import SystemClock

    settings = _settings(data_dir)
    secret = settings.session_secret_value
    if not secret:
        # the server checks tokens with this key: a token made with any other key would never work
        _fail("set MIMAMORI_SESSION_SECRET to the server's value first", EXIT_REFUSED)
    accounts = Accounts(sessions=_sessions(settings), clock=SystemClock(), secret=secret)
    try:
        token = accounts.issue_api_token(username, label=label)
    except AccountError as exc:
        _fail(str(exc), EXIT_REFUSED)
    console.print(f"API token for {username} (shown only now; send it as 'Authorization: Bearer …'):")
    console.print(token, soft_wrap=True)


@alerts_app.command("list")
def alerts_list(
    state: Annotated[str | None, typer.Option(help="open, acknowledged, resolved or active.")] = "active",
    household: Annotated[str | None, typer.Option(help="Only this household.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
    data_dir: DataDir = None,
) -> None:
    """Show alerts, newest first (times in Asia/Tokyo)."""
    from zoneinfo import ZoneInfo

    from sqlalchemy import select

    from cloud.db import Alert

    sessions = _sessions(_settings(data_dir))
    query = select(Alert).order_by(Alert.opened_at.desc(), Alert.id.desc()).limit(limit)
    if state == "active":
        query = query.where(Alert.state != "resolved")
    elif state:
        query = query.where(Alert.state == state)
    if household:
        query = query.where(Alert.household_id == household)
    tokyo = ZoneInfo("Asia/Tokyo")
    table = Table(title="alerts")
    for column in ("id", "household", "rule", "severity", "state", "opened (JST)", "by"):
        table.add_column(column)
    with sessions() as session:
        for alert in session.scalars(query):
            table.add_row(
                str(alert.id),
                alert.household_id,
                alert.rule,
                alert.severity,
                alert.state,
                alert.opened_at.astimezone(tokyo).strftime("%Y-%m-%d %H:%M"),
                alert.resolved_by or alert.acknowledged_by or "",
            )
    console.print(table)


@app.command()
def demo(
    duration: Annotated[
        float | None, typer.Option(help="Wall seconds to run; default until Ctrl-C.", show_default=False)
    ] = None,
    speed: Annotated[float, typer.Option(help="Simulated seconds per wall second.")] = 900.0,
    households: Annotated[int, typer.Option(help="Simulated households.")] = 20,
    port: Annotated[int, typer.Option(help="Port of the web API and views.")] = 8000,
    mqtt_url: Annotated[
        str | None,
        typer.Option(help="Use this broker (mqtt://host:port) instead of the embedded one.", show_default=False),
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Folder for the demo's databases; default a fresh temporary one.")
    ] = None,
) -> None:
    """Run a self-contained demo: broker, simulated homes, rules, notifications and the web views."""
    if speed <= 0:
        _fail("--speed must be positive")
    if households < 1:
        _fail("--households must be at least 1")
    if duration is not None and duration <= 0:
        _fail("--duration must be positive")
    from cloud.demo import run_demo

    code = run_demo(
        duration=duration, speed=speed, households=households, port=port, mqtt_url=mqtt_url, data_dir=data_dir
    )
    raise typer.Exit(code)


@replay_app.command("casas")
def replay_casas_command(
    file: Annotated[Path, typer.Argument(help="A CASAS log: `date time sensor value [label]` per line.")],
    household: Annotated[str, typer.Option("--household", help="The household id the log plays as.")],
    step_min: Annotated[float, typer.Option(help="Clock minutes per step (a heartbeat each step).")] = 10.0,
    mqtt_url: Annotated[
        str | None, typer.Option(help="Use this broker (mqtt://host:port) instead of an embedded one.")
    ] = None,
) -> None:
    """Replay a CASAS smart-home log as one household on an accelerated clock; print the alerts raised."""
    from datetime import timedelta
    from urllib.parse import urlsplit

    from alerts.messages import local_time
    from cloud.replay import ReplayedAlert, replay_casas

    if not file.is_file():
        _fail(f"{file} is not a file")
    if step_min <= 0:
        _fail("--step-min must be positive")
    host = port = None
    if mqtt_url is not None:
        parts = urlsplit(mqtt_url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 1883

    def show(alert: ReplayedAlert) -> None:
        reason = ", ".join(f"{key}={value}" for key, value in alert.facts.items() if value is not None)
        console.print(
            f"{local_time(alert.opened_at, language='en')}  [bold]{alert.rule}[/] ({alert.severity})  {reason}",
            highlight=False,
            soft_wrap=True,
        )

    report = replay_casas(
        file, household_id=household, step=timedelta(minutes=step_min), mqtt_host=host, mqtt_port=port, on_alert=show
    )
    skipped = sum(report.skipped.values())
    console.print(f"{report.messages} messages replayed, {skipped} line(s) skipped, {len(report.alerts)} alert(s)")


@evaluate_app.command("watch")
def evaluate_watch_command(
    households: Annotated[int, typer.Option(min=1, help="Simulated households.")] = 200,
    days: Annotated[int, typer.Option(min=1, help="Days simulated per household.")] = 60,
    seed: Annotated[int, typer.Option(help="Seed of the simulated world.")] = 7,
    workers: Annotated[int, typer.Option(min=1, help="Processes to run households in.")] = 2,
    out: Annotated[Path | None, typer.Option(help="Write the figures as JSON here.")] = None,
) -> None:
    """Simulate households with injected incidents and report each rule's delay, misses and false alarms."""
    import json

    from rich.progress import Progress

    from cloud.watch_evaluation import evaluate_watch, flat_results

    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("households", total=households)
        report = evaluate_watch(
            households=households,
            days=days,
            seed=seed,
            workers=workers,
            progress=lambda done: progress.update(task, completed=done),
        )
    table = Table(
        "rule", "incidents", "median delay (min)", "p95 delay (min)", "missed", "false alarms / household-day"
    )
    for name, figures in report["rules"].items():
        if not figures["incidents"] and not figures["false_alarms"]:
            continue
        table.add_row(
            name,
            str(figures["incidents"]),
            str(figures["median_delay_min"]),
            str(figures["p95_delay_min"]),
            str(figures["missed"]),
            f"{figures['false_alarms_per_household_day']:.4f}",
        )
    console.print(table)
    console.print(f"{households} households × {days} days in {report['seconds']} s; anchor: {report['anchor']}")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(flat_results(report), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        console.print(f"wrote {out}")


def main() -> None:
    """Run the CLI (for `python -m cloud.cli`)."""
    app()


if __name__ == "__main__":
    main()


def _disaster_desk(settings: Settings) -> DisasterDesk:
    """Return a desk on the database for one command (no fan-out threads: the server sends)."""
    from alerts.channels import AppriseChannel
    from cloud.disaster import DisasterDesk, link_secret
    from protocol import SystemClock

    secret = settings.disaster_link_secret
    return DisasterDesk(
        sessions=_sessions(settings),
        clock=SystemClock(),
        link_secret=link_secret(None if secret is None else secret.get_secret_value(), settings.data_dir),
        links_base_url=lambda: settings.public_url or "http://127.0.0.1:8000",
        sender=settings.disaster_sender,
        apprise=AppriseChannel(),
        webpush=None,
    )


@disaster_app.command("import-cap")
def disaster_import_cap(
    source: Annotated[str, typer.Argument(help="A CAP file, or the URL of a CAP message or an Atom feed of them.")],
    data_dir: DataDir = None,
) -> None:
    """Import CAP messages as draft disaster alerts (release them in the console or the API)."""
    from alerts.cap import CapFormatError
    from cloud.disaster import DisasterError

    desk = _disaster_desk(_settings(data_dir))
    try:
        if source.startswith(("http://", "https://")):
            ids = desk.import_url(source)
        else:
            ids = [desk.import_cap(Path(source).read_bytes())]
    except (OSError, CapFormatError, DisasterError) as exc:
        _fail(f"cannot import {source}: {exc}", EXIT_REFUSED)
    for alert_id in ids:
        alert = desk.get(alert_id)
        console.print(f"disaster alert {alert.id}: {alert.hazard} {alert.state} ({alert.identifier})", highlight=False)


@disaster_app.command("list")
def disaster_list(data_dir: DataDir = None) -> None:
    """Show disaster alerts, newest first."""
    table = Table(title="disaster alerts")
    for column in ("id", "hazard", "state", "source", "identifier", "created by"):
        table.add_column(column)
    for alert in _disaster_desk(_settings(data_dir)).alerts():
        table.add_row(str(alert.id), alert.hazard, alert.state, alert.source, alert.identifier, alert.created_by)
    console.print(table)
