"""Drive a mock gateway subprocess (the real agent on mock pins) from a test.

    sysfs = SysfsStandIn(tmp_path / "sys")
    sysfs.set_ds18b20("28-0000072431b2", millidegrees=21_562)
    config = write_gateway_config(tmp_path, broker=mosquitto, sysfs=sysfs)   # the home kit below
    with GatewayProcess(config) as gateway:          # start() on enter, kill() on exit if alive
        gateway.command("press button-help")         # returns once the event is in the outbox
        gateway.command("door door-front open")
        gateway.command("read")                      # one ReadingBatch from the stand-in sysfs
        wait_until(lambda: gateway.outbox_depth() == 0, timeout=10)
        gateway.kill()                               # SIGKILL: the broker sends the Last Will

`GatewayProcess` runs ``python -m tests.support.mock_gateway --config <file>`` (see that module
for the command protocol; ``clock_start=`` runs it on a manual clock moved by ``advance``).
`command` raises `GatewayCommandError` on an ``error`` reply and AssertionError on a timeout
or a dead process, with the tail of the gateway's log (stderr is kept in
``<config folder>/<gateway id>.log``). `outbox_depth` opens the outbox SQLite file read-only,
so it also works after `kill`.

`write_gateway_config` writes the standard test home kit (`HOME_KIT`): PIR in the living
room, kitchen, bedroom and toilet, a front-door contact, a help button with LED and buzzer,
a DS18B20 and an SHT3x (hwmon) in the living room, with ``reading_interval_s`` and
``heartbeat_interval_s`` at their maximum so only `read` makes readings. Pass ``devices`` to
use another kit.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

from firmware_config import load_gateway_settings
from tests.support.broker import MosquittoBroker

REPO_ROOT = Path(__file__).resolve().parents[2]

DS18B20_SERIAL = "28-0000072431b2"
HWMON_NAME = "sht3x"

HOME_KIT: list[dict[str, Any]] = [
    {"type": "pir_motion", "id": "pir-living", "pin": 17, "room": "living_room", "hold_s": 0},
    {"type": "pir_motion", "id": "pir-kitchen", "pin": 27, "room": "kitchen", "hold_s": 0},
    {"type": "pir_motion", "id": "pir-bedroom", "pin": 22, "room": "bedroom", "hold_s": 0},
    {"type": "pir_motion", "id": "pir-toilet", "pin": 23, "room": "toilet", "hold_s": 0},
    {"type": "door_contact", "id": "door-front", "pin": 24, "room": "entrance", "normally_closed": True},
    {
        "type": "emergency_button",
        "id": "button-help",
        "pin": 25,
        "led_pin": 12,
        "buzzer_pin": 13,
        "room": "living_room",
    },
]


class GatewayCommandError(Exception):
    """The mock gateway answered ``error <command>: <why>``."""


class SysfsStandIn:
    """A folder that looks like the parts of /sys the DS18B20 and hwmon drivers read."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.w1_dir = root / "bus" / "w1" / "devices"
        self.hwmon_dir = root / "class" / "hwmon"
        self.w1_dir.mkdir(parents=True, exist_ok=True)
        self.hwmon_dir.mkdir(parents=True, exist_ok=True)

    def set_ds18b20(self, serial: str, *, millidegrees: int, crc_ok: bool = True) -> Path:
        """Write the w1_slave file of a DS18B20 as the w1_therm driver would."""
        folder = self.w1_dir / serial
        folder.mkdir(parents=True, exist_ok=True)
        verdict = "YES" if crc_ok else "NO"
        raw = "72 01 4b 46 7f ff 0e 10 57"
        path = folder / "w1_slave"
        path.write_text(f"{raw} : crc=57 {verdict}\n{raw} t={millidegrees}\n", encoding="ascii")
        return path

    def set_hwmon(
        self, name: str, *, temp_millidegrees: int, humidity_millipercent: int | None, index: int = 0
    ) -> Path:
        """Write a hwmonN folder with name, temp1_input and (optionally) humidity1_input."""
        folder = self.hwmon_dir / f"hwmon{index}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "name").write_text(f"{name}\n", encoding="ascii")
        (folder / "temp1_input").write_text(f"{temp_millidegrees}\n", encoding="ascii")
        humidity = folder / "humidity1_input"
        if humidity_millipercent is None:
            humidity.unlink(missing_ok=True)
        else:
            humidity.write_text(f"{humidity_millipercent}\n", encoding="ascii")
        return folder


def write_gateway_config(
    folder: Path,
    *,
    broker: MosquittoBroker,
    gateway_id: str = "gw-test-001",
    sysfs: SysfsStandIn | None = None,
    devices: list[dict[str, Any]] | None = None,
    max_messages: int = 100_000,
    keepalive_s: int = 60,
) -> Path:
    """Write a gateway YAML for a test home that talks to `broker`; return its path."""
    kit = [dict(device) for device in (HOME_KIT if devices is None else devices)]
    if sysfs is not None and devices is None:
        kit.append(
            {
                "type": "ds18b20",
                "id": "temp-living",
                "serial": DS18B20_SERIAL,
                "base_dir": str(sysfs.w1_dir),
                "room": "living_room",
            }
        )
        kit.append(
            {
                "type": "hwmon_climate",
                "id": "climate-living",
                "hwmon": HWMON_NAME,
                "base_dir": str(sysfs.hwmon_dir),
                "room": "living_room",
            }
        )
    document = {
        "gateway_id": gateway_id,
        "mqtt": {"host": broker.host, "port": broker.port, "keepalive_s": keepalive_s},
        "outbox": {"path": str(folder / f"{gateway_id}-outbox.sqlite3"), "max_messages": max_messages},
        "heartbeat_interval_s": 3600,
        "reading_interval_s": 3600,
        "devices": kit,
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{gateway_id}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


class GatewayProcess:
    """One ``python -m tests.support.mock_gateway`` subprocess and its stdin/stdout protocol."""

    def __init__(self, config_path: Path, *, reconnect_cap_s: float = 1.0, clock_start: datetime | None = None) -> None:
        self.config_path = Path(config_path)
        self.clock_start = clock_start
        self.settings = load_gateway_settings(self.config_path)
        self.outbox_path = self.settings.outbox.path
        self.log_path = self.config_path.with_name(f"{self.settings.gateway_id}.log")
        self.reconnect_cap_s = reconnect_cap_s
        self.process: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._log_file: Any = None

    def __enter__(self) -> GatewayProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.running:
            self.kill()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    def start(self, timeout: float = 20.0) -> GatewayProcess:
        """Start the mock gateway and wait until it prints ``ready``."""
        if self.running:
            raise RuntimeError("already running")
        self._lines = queue.Queue()
        self._log_file = self.log_path.open("a", encoding="utf-8")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.mock_gateway",
                "--config",
                str(self.config_path),
                "--reconnect-cap",
                str(self.reconnect_cap_s),
                *(["--clock-start", self.clock_start.isoformat()] if self.clock_start else []),
            ],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log_file,
            text=True,
            bufsize=1,
        )
        threading.Thread(target=self._pump, args=(self.process, self._lines), daemon=True).start()
        self._expect(lambda line: line == "ready", timeout=timeout, what="ready")
        return self

    def command(self, text: str, timeout: float = 10.0) -> str:
        """Send one command and wait for its ``ok`` line; raise GatewayCommandError on ``error``."""
        command = " ".join(text.split())
        assert self.process is not None and self.process.stdin is not None, "not started"
        try:
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            raise AssertionError(f"mock gateway is gone; log:\n{self.log_tail()}") from None
        line = self._expect(
            lambda line: line == f"ok {command}" or line.startswith(f"error {command}:"),
            timeout=timeout,
            what=f"reply to {command!r}",
        )
        if line.startswith("error "):
            raise GatewayCommandError(line.removeprefix("error "))
        return line

    def kill(self) -> None:
        """SIGKILL the gateway, as a power cut or a crash would (no goodbye: the Last Will fires)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self._reap()

    def terminate(self, timeout: float = 15.0) -> int:
        """SIGTERM the gateway, wait for its clean shutdown and return its exit code."""
        assert self.process is not None, "not started"
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"gateway ignored SIGTERM for {timeout}s; log:\n{self.log_tail()}") from None
        self._reap()
        return code

    def outbox_depth(self) -> int:
        """Count the messages waiting in the gateway's outbox (read-only; works after kill)."""
        return len(self.outbox_payloads())

    def outbox_payloads(self) -> list[tuple[str, bytes]]:
        """Return (kind, payload) of every waiting message in send order, read-only."""
        if not self.outbox_path.exists():
            return []
        db = sqlite3.connect(f"file:{self.outbox_path}?mode=ro", uri=True, timeout=5)
        try:
            rows = db.execute("SELECT kind, payload FROM outbox ORDER BY priority DESC, seq").fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise
        finally:
            db.close()
        return [(str(kind), bytes(payload)) for kind, payload in rows]

    def log_tail(self, lines: int = 40) -> str:
        """Return the end of the gateway's stderr log."""
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])

    def _reap(self) -> None:
        if self.process is not None:
            self.process.wait(timeout=15)
            for stream in (self.process.stdin, self.process.stdout):
                if stream is not None:
                    # stdin of a killed process: the pipe may already be broken
                    with contextlib.suppress(OSError):
                        stream.close()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    @staticmethod
    def _pump(process: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    def _expect(self, matches: Any, *, timeout: float, what: str) -> str:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}; log:\n{self.log_tail()}")
            try:
                line = self._lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"mock gateway exited waiting for {what}; log:\n{self.log_tail()}")
            if matches(line):
                return line
