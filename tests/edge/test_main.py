"""`python -m edge`: the command a Raspberry Pi's service unit runs."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from tests.edge.conftest import MqttRecorder
from tests.support import MosquittoBroker
from tests.support.gateway_process import REPO_ROOT, write_gateway_config


def test_bad_config_is_reported_without_a_traceback(tmp_path: Path) -> None:
    """A broken config file stops the agent with exit code 2 and one clear line naming the file."""
    config = tmp_path / "gateway.yaml"
    config.write_text("gateway_id: gw-test-001\nmqtt: {host: h}\ndevices: [{type: lava_lamp, id: x}]\n")
    result = subprocess.run(
        [sys.executable, "-m", "edge", "--config", str(config)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert str(config) in result.stderr and "lava_lamp" in result.stderr
    assert "Traceback" not in result.stderr


def test_sigterm_stops_the_agent_cleanly(tmp_path: Path, mosquitto: MosquittoBroker, recorder: MqttRecorder) -> None:
    """The agent comes online, and on SIGTERM says goodbye and exits 0."""
    config = write_gateway_config(tmp_path, broker=mosquitto, devices=[])
    process = subprocess.Popen(
        [sys.executable, "-m", "edge", "--config", str(config)],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        recorder.wait_for("/status", lambda items: items[-1].body["state"] == "online")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
    last = recorder.wait_for("/status", lambda items: items[-1].body["state"] == "offline")[-1]
    assert last.body["reason"] == "shutdown"
