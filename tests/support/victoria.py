"""A real VictoriaMetrics server (Debian's victoria-metrics) on a free loopback port, for tests."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import httpx

from tests.support.broker import free_port

VICTORIA_METRICS = shutil.which("victoria-metrics") or "/usr/bin/victoria-metrics"


class VictoriaMetricsServer:
    """One victoria-metrics process with its own storage directory."""

    def __init__(self, workdir: Path, *, port: int | None = None) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "victoria-metrics.log"
        self.process: subprocess.Popen[bytes] | None = None
        workdir.mkdir(parents=True, exist_ok=True)

    @property
    def telemetry_url(self) -> str:
        """The MIMAMORI_TELEMETRY_URL naming this server."""
        return f"victoriametrics+{self.base_url}"

    def start(self, timeout: float = 20.0) -> None:
        """Start the server the way the README says to run it, and wait until it is healthy."""
        if not Path(VICTORIA_METRICS).exists():
            raise RuntimeError("victoria-metrics is not installed: run `make test`, which installs it")
        command = [
            VICTORIA_METRICS,
            f"-httpListenAddr=127.0.0.1:{self.port}",
            f"-storageDataPath={self.workdir / 'data'}",
            # the tests' clocks sit at fixed dates: keep them however old the checkout gets
            "-retentionPeriod=100y",
            "-dedup.minScrapeInterval=1ms",
            "-loggerLevel=ERROR",
        ]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"victoria-metrics exited: {self.log_path.read_text(errors='replace')}")
            try:
                if httpx.get(f"{self.base_url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"victoria-metrics did not start on port {self.port}")

    def flush(self) -> None:
        """Make every sample written so far searchable now (the server does it within a second anyway)."""
        httpx.get(f"{self.base_url}/internal/force_flush", timeout=10).raise_for_status()

    def stop(self) -> None:
        """Stop the server."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
