"""The uplink over TLS, against a real Mosquitto with a test CA."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest
import yaml
from gpiozero.pins.mock import MockFactory

from firmware_config import load_gateway_settings
from tests.edge.conftest import running_agent
from tests.support import MosquittoBroker, free_port, wait_until
from tests.support.broker import MOSQUITTO
from tests.support.gateway_process import write_gateway_config

OPENSSL = "/usr/bin/openssl"


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """Create a CA and a server certificate for 127.0.0.1 with the openssl command."""
    ca_key, ca_crt = folder / "ca.key", folder / "ca.crt"
    key, csr, crt = folder / "server.key", folder / "server.csr", folder / "server.crt"
    ext = folder / "server.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1\n")
    # pytest's tmp paths have no spaces, so plain split() makes the argument lists
    run = [
        f"req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mimamori-test-ca -keyout {ca_key} -out {ca_crt}",
        f"req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout {key} -out {csr}",
        f"x509 -req -in {csr} -CA {ca_crt} -CAkey {ca_key} -CAcreateserial -days 2 -extfile {ext} -out {crt}",
    ]
    for command in run:
        subprocess.run([OPENSSL, *command.split()], check=True, capture_output=True, timeout=60)
    return ca_crt, crt, key


@pytest.mark.skipif(not Path(OPENSSL).exists(), reason="openssl is not installed")
def test_gateway_connects_over_tls(tmp_path: Path, pins: MockFactory) -> None:
    """With a CA file in its config, the gateway connects to a TLS listener and comes online."""
    ca_crt, crt, key = make_certificates(tmp_path)
    port = free_port()
    config = tmp_path / "mosquitto-tls.conf"
    lines = [f"listener {port} 127.0.0.1", "allow_anonymous true", f"cafile {ca_crt}", f"certfile {crt}"]
    # started as root, mosquitto drops to its own user, who cannot read pytest's tmp folder
    lines += [f"keyfile {key}", "user root", ""]
    config.write_text("\n".join(lines))
    broker = subprocess.Popen([MOSQUITTO, "-c", str(config)], stderr=subprocess.DEVNULL)
    wait_until(lambda: broker.poll() is not None or port_open(port), timeout=10, what="TLS broker up")
    assert broker.poll() is None, "mosquitto with TLS did not start"
    try:
        settings_path = write_gateway_config(
            tmp_path, broker=MosquittoBroker(tmp_path / "unused", port=port), devices=[]
        )
        document = yaml.safe_load(settings_path.read_text())
        document["mqtt"]["tls"] = {"ca_file": str(ca_crt)}
        settings_path.write_text(yaml.safe_dump(document))
        settings = load_gateway_settings(settings_path)
        assert settings.mqtt.tls is not None
        with running_agent(settings, pins=pins) as agent:
            wait_until(lambda: agent.uplink.connected, timeout=15, what="TLS connection")
    finally:
        broker.terminate()
        broker.wait(timeout=10)
