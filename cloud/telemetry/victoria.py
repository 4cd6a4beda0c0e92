"""The VictoriaMetrics telemetry backend: InfluxDB line protocol in, Prometheus-style HTTP API out.

A sample becomes the line ``mimamori,gateway_id=…,device_id=…,household_id=… <metric>=<value> <ms>``,
which VictoriaMetrics stores as the series ``mimamori_<metric>{gateway_id, device_id, household_id}``
(the same bytes InfluxDB 2.x/3.x accept). Reads go through ``/api/v1/export`` (raw samples of a
time range) and ``/api/v1/query`` (the newest sample of each series).

VictoriaMetrics keeps times in milliseconds: sub-millisecond parts of a sample's time are cut.
Samples of the same series and millisecond are kept once when the server runs with
``-dedup.minScrapeInterval=1ms``; the queries here also keep one, so a re-delivered reading never
shows twice. Which of two *different* values of the same key survives is VictoriaMetrics' choice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException
from urllib3.exceptions import HTTPError as Urllib3Error

from cloud.telemetry.base import Sample, TelemetryUnavailable

log = logging.getLogger(__name__)

MEASUREMENT = "mimamori"
PREFIX = f"{MEASUREMENT}_"
LABELS = ("gateway_id", "device_id", "household_id")
# points per HTTP request: big enough to amortise the round trip, small enough to stay well
# under VictoriaMetrics' default -maxInsertRequestSize (32 MB)
WRITE_CHUNK = 5_000
# `latest` looks this far back (VictoriaMetrics' lookbehind windows overflow past ~50 years)
LATEST_LOOKBACK = "10y"
TIMEOUT_S = 30.0
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_victoria_url(url: str) -> str:
    """Return the HTTP base URL of a ``victoriametrics+http(s)://host:port[/prefix]`` telemetry URL."""
    parts = urlsplit(url)
    scheme = parts.scheme.removeprefix("victoriametrics").removeprefix("+") or "http"
    if scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"a VictoriaMetrics telemetry URL looks like victoriametrics+http://host:8428, not {url!r}")
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def _to_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("telemetry times must be timezone-aware")
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def _from_ms(millis: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=millis)


def _quote(value: str) -> str:
    # a PromQL string literal: JSON's escaping is a subset PromQL reads the same way
    return json.dumps(value)


def _selector(*, metric: str | None, labels: dict[str, str | None]) -> str:
    matchers = [f'__name__="{PREFIX}{metric}"' if metric is not None else f'__name__=~"{PREFIX}.+"']
    matchers += [f"{name}={_quote(value)}" for name, value in labels.items() if value is not None]
    return "{" + ", ".join(matchers) + "}"


def _point(sample: Sample) -> Point:
    point = Point(MEASUREMENT).tag("gateway_id", sample.gateway_id).tag("device_id", sample.device_id)
    if sample.household_id:
        point = point.tag("household_id", sample.household_id)
    return point.field(sample.metric, float(sample.value)).time(_to_ms(sample.ts), WritePrecision.MS)


def _series_key(labels: dict[str, str]) -> tuple[str, str, str] | None:
    name = labels.get("__name__", "")
    if not name.startswith(PREFIX):
        return None
    return labels.get("gateway_id", ""), labels.get("device_id", ""), name.removeprefix(PREFIX)


def _sample(labels: dict[str, str], ts_ms: int, value: float) -> Sample | None:
    key = _series_key(labels)
    if key is None:
        return None
    gateway_id, device_id, metric = key
    return Sample(
        household_id=labels.get("household_id") or None,
        gateway_id=gateway_id,
        device_id=device_id,
        metric=metric,
        ts=_from_ms(ts_ms),
        value=float(value),
    )


class VictoriaMetricsTelemetryStore:
    """Telemetry in a VictoriaMetrics server; safe to share between threads."""

    def __init__(self, base_url: str, *, timeout: float = TIMEOUT_S) -> None:
        self.base_url = base_url
        # VictoriaMetrics ignores org, bucket and token on /api/v2/write; the client wants them set
        self._influx = InfluxDBClient(url=base_url, token="mimamori", org="mimamori", timeout=int(timeout * 1000))
        self._writer = self._influx.write_api(write_options=SYNCHRONOUS)
        self._http = httpx.Client(base_url=base_url, timeout=timeout)

    def write(self, samples: Sequence[Sample]) -> None:
        """Send the samples in line protocol, a few thousand per request.

        Raises TelemetryUnavailable when the server is away or overloaded, ValueError when it refuses them.
        """
        for start in range(0, len(samples), WRITE_CHUNK):
            points = [_point(sample) for sample in samples[start : start + WRITE_CHUNK]]
            try:
                self._writer.write(bucket=MEASUREMENT, record=points, write_precision=WritePrecision.MS)
            except Urllib3Error as exc:
                raise TelemetryUnavailable(f"VictoriaMetrics at {self.base_url} cannot be reached: {exc}") from exc
            except ApiException as exc:
                if exc.status is None or exc.status >= 500 or exc.status == 429:
                    raise TelemetryUnavailable(f"VictoriaMetrics at {self.base_url} answered {exc.status}") from exc
                raise ValueError(f"VictoriaMetrics refused the samples ({exc.status}): {exc.body}") from exc

    def _export(self, selector: str, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        params = {"match[]": selector, "start": f"{_to_ms(start) / 1000:.3f}", "end": f"{_to_ms(end) / 1000:.3f}"}
        with self._http.stream("POST", "/api/v1/export", data=params) as response:
            response.raise_for_status()
            for line in response.iter_lines():
                if line.strip():
                    yield json.loads(line)

    def query(
        self,
        *,
        household_id: str | None = None,
        gateway_id: str | None = None,
        device_id: str | None = None,
        metric: str | None = None,
        start: datetime,
        end: datetime,
    ) -> list[Sample]:
        """Return the samples with start <= ts < end that match every given filter, oldest first."""
        selector = _selector(
            metric=metric, labels={"household_id": household_id, "gateway_id": gateway_id, "device_id": device_id}
        )
        start_ms, end_ms = _to_ms(start), _to_ms(end)
        found: dict[tuple[tuple[str, str, str], int], Sample] = {}
        for series in self._export(selector, start, end):
            labels = series["metric"]
            for ts_ms, value in zip(series["timestamps"], series["values"], strict=True):
                # export's end is inclusive; the interface's is not. Keeping one sample per key
                # covers a server started without -dedup.minScrapeInterval
                sample = _sample(labels, ts_ms, value) if start_ms <= ts_ms < end_ms else None
                key = _series_key(labels)
                if sample is not None and key is not None:
                    found[(key, ts_ms)] = sample
        return [found[key] for key in sorted(found, key=lambda key: (key[1], key[0]))]

    def latest(
        self,
        *,
        household_id: str | None = None,
        gateway_id: str | None = None,
        device_id: str | None = None,
        metric: str | None = None,
    ) -> list[Sample]:
        """Return the newest sample of every matching series (gateway, device, metric)."""
        selector = _selector(
            metric=metric, labels={"household_id": household_id, "gateway_id": gateway_id, "device_id": device_id}
        )
        window = f"{selector}[{LATEST_LOOKBACK}]"
        # one request for both halves, told apart by a label: the value and the time of the last sample
        query = (
            f'union(label_set(last_over_time({window}), "mimamori_part", "value"), '
            f'label_set(tlast_over_time({window}) keep_metric_names, "mimamori_part", "ts"))'
        )
        # nocache: answer from the raw data, and do not hide the last seconds (-search.latencyOffset)
        params = {"query": query, "time": f"{datetime.now(UTC).timestamp() + 86_400:.3f}", "nocache": "1"}
        response = self._http.post("/api/v1/query", data=params)
        response.raise_for_status()
        # halves of one series share every label but mimamori_part (a household change starts a new series)
        halves: dict[tuple[tuple[str, str], ...], dict[str, float]] = {}
        for result in response.json()["data"]["result"]:
            labels = dict(result["metric"])
            part = labels.pop("mimamori_part", "")
            halves.setdefault(tuple(sorted(labels.items())), {})[part] = float(result["value"][1])
        newest: dict[tuple[str, str, str], Sample] = {}
        for labels_items, half in halves.items():
            labels = dict(labels_items)
            key = _series_key(labels)
            if key is None or "value" not in half or "ts" not in half:
                continue
            sample = _sample(labels, round(half["ts"] * 1000), half["value"])
            if sample is not None and (key not in newest or newest[key].ts <= sample.ts):
                newest[key] = sample
        return [newest[key] for key in sorted(newest)]

    def close(self) -> None:
        """Close the HTTP connections."""
        self._writer.close()
        self._influx.close()
        self._http.close()
