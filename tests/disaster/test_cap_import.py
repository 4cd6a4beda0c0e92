"""CAP import on a running service: posted XML, a URL, and a polled Atom feed become alerts."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from alerts.cap import CAP12_NS, FeedEntry, to_atom
from cloud.service import CloudService
from tests.disaster.conftest import ASAKUSA, START, TOKEN, register_device
from tests.disaster.push_service import PushService
from tests.support import wait_until

DATA = Path(__file__).resolve().parents[1] / "data" / "cap"
JMA_FLOOD = f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="{CAP12_NS}"><identifier>jma-flood-taito-1</identifier><sender>jma.go.jp</sender>
<sent>2026-11-26T09:00:00+09:00</sent><status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
<info><language>ja-JP</language><category>Met</category><event>洪水警報</event><urgency>Immediate</urgency>
<severity>Severe</severity><certainty>Likely</certainty><headline>台東区に洪水警報</headline>
<description>隅田川の水位が上昇しています。</description>
<area><areaDesc>台東区</areaDesc><geocode><valueName>JMA</valueName><value>1310600</value></geocode></area></info>
<info><language>en-US</language><category>Met</category><event>Flood warning</event><urgency>Immediate</urgency>
<severity>Severe</severity><certainty>Likely</certainty><headline>Flood warning for Taito City</headline>
<area><areaDesc>Taito City</areaDesc><geocode><valueName>JMA</valueName><value>1310600</value></geocode></area></info>
</alert>""".encode()


class StaticSite:
    """A real HTTP server serving fixed documents by path."""

    def __init__(self) -> None:
        self.documents: dict[str, tuple[str, bytes]] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                found = site.documents.get(self.path)
                if found is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", found[0])
                self.send_header("Content-Length", str(len(found[1])))
                self.end_headers()
                self.wfile.write(found[1])

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def site() -> Iterator[StaticSite]:
    server = StaticSite()
    yield server
    server.stop()


def operator(service: CloudService) -> httpx.Client:
    assert service.api_url is not None
    return httpx.Client(base_url=service.api_url, timeout=10, headers={"Authorization": f"Bearer {TOKEN}"})


def test_posted_cap_becomes_a_draft_with_its_languages_and_area(service: CloudService) -> None:
    """A posted CAP message is a draft (nothing sent) with the ward as its area and both languages."""
    with operator(service) as api:
        [alert] = api.post(
            "/api/v1/disaster/cap/import", content=JMA_FLOOD, headers={"Content-Type": "application/cap+xml"}
        ).json()

    assert alert["state"] == "draft" and alert["source"] == "cap"
    assert alert["hazard"] == "flood"
    assert alert["area"]["municipalities"] == ["13106"]
    assert alert["texts"]["ja"]["headline"] == "台東区に洪水警報"
    assert alert["texts"]["en"]["headline"] == "Flood warning for Taito City"


@pytest.mark.parametrize("sample", ["earthquake.cap", "weather.cap"])
def test_the_real_samples_import_as_drafts(service: CloudService, sample: str) -> None:
    """Both real messages import; their areas lie abroad, so they stay drafts."""
    with operator(service) as api:
        response = api.post(
            "/api/v1/disaster/cap/import",
            content=(DATA / sample).read_bytes(),
            headers={"Content-Type": "application/xml"},
        )

    assert response.status_code == 200, response.text
    assert response.json()[0]["state"] == "draft"


def test_cap_from_a_url_is_released_when_so_configured(
    make_service: Callable[..., CloudService], site: StaticSite, push: PushService
) -> None:
    """With release on, a CAP message fetched by URL is released and reaches a device in Taito at once."""
    service = make_service(disaster_cap_release=True)
    site.documents["/jma.xml"] = ("application/cap+xml", JMA_FLOOD)
    with operator(service) as api, httpx.Client(base_url=api.base_url) as phone:
        register_device(phone, language="en", home={"lat": ASAKUSA[0], "lon": ASAKUSA[1]}, webpush=push.subscribe("en"))
        [alert] = api.post("/api/v1/disaster/cap/import", json={"url": f"{site.base_url}/jma.xml"}).json()

    [received] = push.wait_for("en")
    assert alert["state"] == "released"
    assert "Flood warning for Taito City" in received.payload["body"]


def test_a_polled_atom_feed_imports_each_message_once(
    make_service: Callable[..., CloudService], site: StaticSite
) -> None:
    """The poller reads the feed, imports the linked CAP message, and does not import it twice."""
    site.documents["/cap/1.xml"] = ("application/cap+xml", JMA_FLOOD)
    site.documents["/feed"] = (
        "application/atom+xml",
        to_atom(
            [
                FeedEntry(
                    identifier="jma-flood-taito-1",
                    title="洪水警報",
                    updated=START,
                    cap_url=f"{site.base_url}/cap/1.xml",
                )
            ],
            feed_id="urn:test",
            title="test",
            self_url=f"{site.base_url}/feed",
            updated=START,
        ),
    )
    service = make_service(disaster_cap_feeds=[f"{site.base_url}/feed"], disaster_cap_poll_s=0.1)

    wait_until(lambda: service.disaster.alerts(), what="the feed's alert imported")
    service.disaster.import_url(f"{site.base_url}/feed")

    [alert] = service.disaster.alerts()
    assert alert.identifier == "jma-flood-taito-1" and alert.state == "draft"
