"""Settings validation and the `mimamori` command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from cloud.cli import app
from cloud.config import Settings

runner = CliRunner()


def test_database_urls_follow_the_data_dir(tmp_path: Path) -> None:
    """Without explicit URLs both stores live in the data directory."""
    settings = Settings(data_dir=tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path / 'mimamori.db'}"
    assert settings.telemetry_url == f"sqlite:///{tmp_path / 'telemetry.db'}"


def test_settings_come_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """MIMAMORI_* variables set the settings."""
    monkeypatch.setenv("MIMAMORI_MQTT_PORT", "8883")
    monkeypatch.setenv("MIMAMORI_MQTT_PROTOCOL", "3.1.1")
    monkeypatch.setenv("MIMAMORI_API_TOKEN", "a-real-token")
    settings = Settings()
    assert (settings.mqtt_port, settings.mqtt_protocol, settings.api_token_value) == (8883, "3.1.1", "a-real-token")


def test_open_api_outside_loopback_needs_a_token() -> None:
    """Serving the API beyond this machine without a token is refused (outside demo mode)."""
    with pytest.raises(ValidationError, match="MIMAMORI_API_TOKEN"):
        Settings(api_host="0.0.0.0")


def test_placeholder_token_is_refused() -> None:
    """A placeholder token such as 'changeme' is refused."""
    with pytest.raises(ValidationError, match="placeholder"):
        Settings(api_token="changeme")


def test_cli_broken_config_exits_2_with_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A broken setting makes the CLI exit with code 2 and a single line naming the variable."""
    monkeypatch.setenv("MIMAMORI_MQTT_PORT", "not-a-port")

    result = runner.invoke(app, ["alerts", "list", "--data-dir", str(tmp_path)])

    assert result.exit_code == 2
    assert "MIMAMORI_MQTT_PORT" in result.output
    assert "Traceback" not in result.output


def test_cli_provisions_a_household_gateway_and_contact(tmp_path: Path) -> None:
    """`household add`, `gateway add` and `contact add` register a watched home; `alerts list` runs."""
    data = ["--data-dir", str(tmp_path)]
    steps = [
        ["household", "add", "taito-0001", "--name", "田中家", "--person", "田中花子", *data],
        ["gateway", "add", "gw-taito-0001", "--household", "taito-0001", *data],
        ["contact", "add", "taito-0001", "--name", "田中一郎", "--channel", "json://127.0.0.1:9/x", *data],
        ["alerts", "list", *data],
    ]
    outputs = [runner.invoke(app, step) for step in steps]
    assert [result.exit_code for result in outputs] == [0, 0, 0, 0]
    assert "gateway gw-taito-0001 added" in outputs[1].output


def test_cli_refuses_a_gateway_of_an_unknown_household(tmp_path: Path) -> None:
    """Adding a gateway to a household that does not exist fails with a clear message."""
    result = runner.invoke(app, ["gateway", "add", "gw-1-x", "--household", "nobody", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "does not exist" in result.output


def test_cli_demo_rejects_bad_speed() -> None:
    """`mimamori demo --speed 0` is refused before anything starts."""
    result = runner.invoke(app, ["demo", "--speed", "0"])
    assert result.exit_code == 2
    assert "--speed must be positive" in result.output
