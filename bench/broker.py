"""The benchmark's own Mosquitto: the test broker, configured for throughput."""

from __future__ import annotations

import getpass
import subprocess
from pathlib import Path

from tests.support.broker import MOSQUITTO, MosquittoBroker


class BenchBroker(MosquittoBroker):
    """A loopback Mosquitto with unlimited in-flight messages, a deep queue and no persistence.

    Persistence is off because the test broker's autosave every second would rewrite a queue of
    hundreds of thousands of messages each time and measure the disk, not the ingest.
    """

    def __init__(self, workdir: Path, *, max_queued_messages: int = 10_000_000) -> None:
        super().__init__(workdir)
        self.config_path.write_text(
            "\n".join(
                [
                    f"listener {self.port} 127.0.0.1",
                    "allow_anonymous true",
                    # run as root, mosquitto would switch to user "mosquitto", who cannot write our log
                    f"user {getpass.getuser()}",
                    "persistence false",
                    "max_inflight_messages 0",
                    f"max_queued_messages {max_queued_messages}",
                    "max_queued_bytes 0",
                    "log_type error",
                    "log_type warning",
                    f"log_dest file {self.log_path}",
                    "",
                ]
            )
        )


def mosquitto_version() -> str:
    """Return the installed Mosquitto's version string (e.g. "2.0.11")."""
    result = subprocess.run([MOSQUITTO, "-h"], capture_output=True, text=True, check=False)
    first = (result.stdout or result.stderr).splitlines()[0] if (result.stdout or result.stderr) else ""
    return first.removeprefix("mosquitto version ").strip() or "unknown"
