"""The FastAPI application: health and metrics at the root, resources under /api/v1."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cloud.api.deps import STAFF, ServiceDep, allow, guard, register_token_resolver
from cloud.api.routes import (
    ack,
    alert_links,
    alerts,
    auth,
    console,
    devices,
    disaster,
    gateways,
    households,
    ingest,
    notifications,
    osmand,
    residents,
    stream,
    trackers,
    watch_settings,
)
from cloud.api.schemas import HealthOut
from cloud.auth import Accounts, Role
from cloud.disaster import DEVICE_TOKEN_PREFIX
from cloud.ingest import IngestSnapshot
from protocol import Clock

if TYPE_CHECKING:
    from cloud.service import CloudService

API_PREFIX = "/api/v1"
# every answer carries the server's now and how fast its clock runs against the wall clock
CLOCK_NOW_HEADER = "X-Clock-Now"
CLOCK_RATE_HEADER = "X-Clock-Rate"
WEB_DIR = Path(__file__).resolve().parents[2] / "maps" / "web"

log = logging.getLogger(__name__)


def prometheus_text(snapshot: IngestSnapshot) -> str:
    """Render ingest counters in the Prometheus text exposition format."""
    lines = [
        "# HELP mimamori_ingest_accepted_total Messages stored.",
        "# TYPE mimamori_ingest_accepted_total counter",
        f"mimamori_ingest_accepted_total {snapshot.accepted}",
        "# HELP mimamori_ingest_rejected_total Messages dropped, by reason.",
        "# TYPE mimamori_ingest_rejected_total counter",
        *(
            f'mimamori_ingest_rejected_total{{reason="{reason}"}} {count}'
            for reason, count in sorted(snapshot.rejected.items())
        ),
        "# HELP mimamori_ingest_ignored_total Messages on topics ingest does not consume (config).",
        "# TYPE mimamori_ingest_ignored_total counter",
        f"mimamori_ingest_ignored_total {snapshot.ignored}",
        "# HELP mimamori_ingest_batches_total Batches stored.",
        "# TYPE mimamori_ingest_batches_total counter",
        f"mimamori_ingest_batches_total {snapshot.batches}",
        "# HELP mimamori_ingest_rule_errors_total Failures of the rules or the alert lifecycle.",
        "# TYPE mimamori_ingest_rule_errors_total counter",
        f"mimamori_ingest_rule_errors_total {snapshot.rule_errors}",
        "# HELP mimamori_ingest_queue_depth Messages received but not yet stored.",
        "# TYPE mimamori_ingest_queue_depth gauge",
        f"mimamori_ingest_queue_depth {snapshot.queue_depth}",
        "# HELP mimamori_ingest_last_batch_seconds Time the last batch took to store.",
        "# TYPE mimamori_ingest_last_batch_seconds gauge",
        f"mimamori_ingest_last_batch_seconds {snapshot.last_batch_seconds:.6f}",
        "# HELP mimamori_broker_connected 1 while ingest is connected to the broker.",
        "# TYPE mimamori_broker_connected gauge",
        f"mimamori_broker_connected {int(snapshot.broker_connected)}",
    ]
    return "\n".join(lines) + "\n"


class ServerClockHeaders:
    """Stamp every HTTP answer with the server's now and its clock's rate against the wall clock."""

    def __init__(self, app: ASGIApp, *, clock: Clock) -> None:
        self.app = app
        self.clock = clock
        # an accelerated clock (the demo) runs `speed` times the wall clock; every other runs at 1
        self.rate = f"{float(getattr(clock, 'speed', 1.0)):g}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((CLOCK_NOW_HEADER.lower().encode(), self.clock.now().isoformat().encode()))
                headers.append((CLOCK_RATE_HEADER.lower().encode(), self.rate))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, stamped)


def create_app(service: CloudService) -> FastAPI:
    """Build the API of a (started) cloud service."""
    app = FastAPI(
        title="mimamori",
        summary="Watching over elderly people living alone: households, gateways, alerts, notifications.",
        version="0.1.0",
    )
    app.state.service = service
    secret = service.settings.session_secret_value
    if secret is None:
        # sessions then end with the process; allowed only on loopback (see Settings)
        secret = secrets.token_urlsafe(32)
        log.warning("MIMAMORI_SESSION_SECRET is unset: logins end when the server restarts")
    app.state.accounts = Accounts(sessions=service.sessions, clock=service.clock, secret=secret)
    # bearer token prefix -> resolver, for principals that are not users (resident devices)
    app.state.token_resolvers = {}
    register_token_resolver(app, DEVICE_TOKEN_PREFIX, residents.resident_principal)

    # the pages count ages ("5 min ago") from the server's clock, which is not the browser's in
    # the demo (accelerated) or on a device whose clock is off
    app.add_middleware(ServerClockHeaders, clock=service.clock)

    @app.get("/health", response_model=HealthOut, tags=["operations"], responses={503: {"model": HealthOut}})
    def health(service: ServiceDep) -> JSONResponse:
        """Tell whether ingest is connected to the broker and the database answers."""
        body = HealthOut(
            status="ok",
            broker_connected=service.broker_connected,
            database_ok=service.database_ok(),
        )
        healthy = body.broker_connected and body.database_ok
        if not healthy:
            body.status = "degraded"
        return JSONResponse(body.model_dump(), status_code=200 if healthy else 503)

    # counters tell who is connected and how busy the ward is: operators only, like Home
    # Assistant's Prometheus endpoint (scrape with an admin API token as the bearer credential)
    @app.get(
        "/metrics",
        response_class=PlainTextResponse,
        tags=["operations"],
        dependencies=[Depends(allow(Role.ADMIN))],
    )
    def metrics(service: ServiceDep) -> PlainTextResponse:
        """Ingest counters in the Prometheus text format (admin token or session)."""
        return PlainTextResponse(prometheus_text(service.stats), media_type="text/plain; version=0.0.4")

    public = APIRouter(prefix=API_PREFIX)
    public.include_router(auth.router)
    # resident devices carry their own token; CAP feed, safety links and the VAPID key are public
    public.include_router(residents.router)
    public.include_router(disaster.public_router)
    app.include_router(public)
    # every route here passes the guard: logged in, and scoped to what the caller may see
    api = APIRouter(prefix=API_PREFIX, dependencies=[Depends(guard)])
    for module in (households, gateways, devices, alerts, notifications, ingest, console, stream, watch_settings):
        api.include_router(module.router)
    # trackers: the position route applies its own privacy gate on top of the scope
    api.include_router(trackers.router)
    # disaster alerts are the ward's to write: staff only
    api.include_router(disaster.router, dependencies=[Depends(allow(*STAFF))])
    app.include_router(api)
    # one-tap acknowledgement links in notifications: public, the signed token is the credential
    app.include_router(ack.router)
    # the alert link in notifications: to the family view or the console, after a login if need be
    app.include_router(alert_links.router)
    # OsmAnd/Traccar clients report here like to Traccar's port 5055: the registered device id is the credential
    app.include_router(osmand.router)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/web/login.html")

    @app.get("/web/app/shelters.geojson", include_in_schema=False)
    def shelters() -> dict[str, Any]:
        # public: residents need the shelters without an account, and they are open data
        return console.shelter_layer()

    app.mount("/web", StaticFiles(directory=WEB_DIR, html=True), name="web")
    return app
