"""Gateway configuration: the examples validate, bad files give clear errors, the schema is current."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from firmware_config import (
    ConfigError,
    Ds18b20Device,
    EmergencyButtonDevice,
    GatewaySettings,
    HwmonClimateDevice,
    load_gateway_settings,
)
from firmware_config.schema_export import SCHEMA_DIR, SCHEMA_FILE, schema_document

EXAMPLES = sorted((Path(__file__).parents[2] / "firmware_config" / "examples").glob("*.yaml"))

MINIMAL = """\
gateway_id: gw-test-001
mqtt: {host: 127.0.0.1}
devices:
  - {type: pir_motion, id: pir-living, pin: 17, room: living_room}
"""


def write(tmp_path: Path, text: str, name: str = "gateway.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_examples_exist() -> None:
    """The examples folder holds the basic home kit and its commented variant."""
    assert {path.name for path in EXAMPLES} >= {"home-basic.yaml", "home-commented.yaml"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_example_is_valid(path: Path) -> None:
    """Every example config loads and has a help button with local LED and buzzer."""
    settings = load_gateway_settings(path)
    buttons = [device for device in settings.devices if isinstance(device, EmergencyButtonDevice)]
    assert buttons and buttons[0].led_pin is not None and buttons[0].buzzer_pin is not None


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_example_matches_json_schema(path: Path) -> None:
    """Every example config also passes the exported JSON Schema (what editors check)."""
    schema = json.loads((SCHEMA_DIR / SCHEMA_FILE).read_text(encoding="utf-8"))
    jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), schema)


def test_basic_kit_watches_the_usual_rooms() -> None:
    """The basic kit has motion in the four usual rooms, a front door and living-room temperature."""
    settings = load_gateway_settings(EXAMPLES[0].with_name("home-basic.yaml"))
    rooms = {device.room for device in settings.devices if device.type == "pir_motion"}
    assert rooms == {"living_room", "kitchen", "bedroom", "toilet"}
    assert any(device.type == "door_contact" for device in settings.devices)
    assert any(
        isinstance(device, Ds18b20Device | HwmonClimateDevice) and device.room == "living_room"
        for device in settings.devices
    )


def test_defaults_are_filled_in(tmp_path: Path) -> None:
    """A minimal file gets the documented defaults for intervals, outbox size and sysfs dirs."""
    settings = load_gateway_settings(write(tmp_path, MINIMAL))
    assert (settings.heartbeat_interval_s, settings.reading_interval_s) == (60, 300)
    assert settings.outbox.max_messages == 100_000
    assert settings.mqtt.port == 1883 and settings.mqtt.tls is None


def test_relative_outbox_path_is_taken_from_the_config_folder(tmp_path: Path) -> None:
    """A relative outbox path lands beside the config file, whatever the working directory."""
    settings = load_gateway_settings(write(tmp_path, MINIMAL + "outbox: {path: data/outbox.sqlite3}\n"))
    assert settings.outbox.path == tmp_path.resolve() / "data" / "outbox.sqlite3"


def test_settings_are_frozen(tmp_path: Path) -> None:
    """Loaded settings cannot be changed under a running agent."""
    settings = load_gateway_settings(write(tmp_path, MINIMAL))
    with pytest.raises(ValueError):
        settings.reading_interval_s = 5  # type: ignore[misc]


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    """A missing file gives a ConfigError with its path, not a traceback."""
    with pytest.raises(ConfigError, match=r"nope\.yaml: file not found"):
        load_gateway_settings(tmp_path / "nope.yaml")


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    """Broken YAML gives a ConfigError naming the file and the line."""
    path = write(tmp_path, "gateway_id: gw-test-001\nmqtt: {host: [\n")
    with pytest.raises(ConfigError, match=r"gateway\.yaml: not valid YAML: line \d+"):
        load_gateway_settings(path)


def test_unknown_device_type_names_the_device(tmp_path: Path) -> None:
    """An unknown device type names the device entry and the accepted types."""
    path = write(tmp_path, MINIMAL + "  - {type: lava_lamp, id: lamp-1, pin: 5, room: hall}\n")
    with pytest.raises(ConfigError, match=r"devices\[1\] \(id 'lamp-1'\).*'lava_lamp'.*pir_motion"):
        load_gateway_settings(path)


def test_duplicate_pins_are_refused(tmp_path: Path) -> None:
    """Two devices on one GPIO pin are refused, naming both devices."""
    path = write(tmp_path, MINIMAL + "  - {type: door_contact, id: door-front, pin: 17, room: entrance}\n")
    with pytest.raises(ConfigError, match=r"devices: GPIO pin 17 is used by both 'pir-living' and 'door-front'"):
        load_gateway_settings(path)


def test_led_pin_clashing_with_a_sensor_is_refused(tmp_path: Path) -> None:
    """A button's LED pin on a pin already used by a sensor is refused."""
    button = "  - {type: emergency_button, id: help, pin: 25, led_pin: 17, room: living_room}\n"
    with pytest.raises(ConfigError, match=r"GPIO pin 17"):
        load_gateway_settings(write(tmp_path, MINIMAL + button))


def test_duplicate_device_ids_are_refused(tmp_path: Path) -> None:
    """Two devices with one id are refused."""
    path = write(tmp_path, MINIMAL + "  - {type: pir_motion, id: pir-living, pin: 18, room: kitchen}\n")
    with pytest.raises(ConfigError, match=r"device id 'pir-living' is used twice"):
        load_gateway_settings(path)


def test_bad_field_is_named(tmp_path: Path) -> None:
    """A field outside its range is named with its path in the file."""
    path = write(tmp_path, MINIMAL.replace("pin: 17", "pin: 40"))
    with pytest.raises(ConfigError, match=r"devices\[0\] \(id 'pir-living'\)\.pin: .*less than or equal to 27"):
        load_gateway_settings(path)


def test_bad_gateway_id_is_refused(tmp_path: Path) -> None:
    """A gateway id that cannot appear in a topic is refused."""
    path = write(tmp_path, MINIMAL.replace("gw-test-001", "GW Test!"))
    with pytest.raises(ConfigError, match=r"gateway_id: String should match pattern"):
        load_gateway_settings(path)


def test_certificate_without_key_is_refused(tmp_path: Path) -> None:
    """A client certificate without its key is refused."""
    path = write(tmp_path, MINIMAL.replace("mqtt: {host: 127.0.0.1}", "mqtt: {host: h, tls: {cert_file: c.pem}}"))
    with pytest.raises(ConfigError, match=r"mqtt\.tls: cert_file and key_file must be given together"):
        load_gateway_settings(path)


def test_top_level_list_is_refused(tmp_path: Path) -> None:
    """A file that is not a mapping is refused with a clear message."""
    with pytest.raises(ConfigError, match="mapping"):
        load_gateway_settings(write(tmp_path, "- a\n- b\n"))


def test_schema_file_is_current() -> None:
    """The committed JSON Schema matches the model (run python -m firmware_config.schema_export)."""
    assert (SCHEMA_DIR / SCHEMA_FILE).read_text(encoding="utf-8") == schema_document()


def test_schema_refuses_unknown_device_type() -> None:
    """The exported JSON Schema also refuses an unknown device type."""
    schema = json.loads(schema_document())
    document = yaml.safe_load(MINIMAL)
    document["devices"].append({"type": "lava_lamp", "id": "x", "pin": 5, "room": "hall"})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema)


def test_model_accepts_python_values() -> None:
    """GatewaySettings can be built in code as well as from YAML."""
    settings = GatewaySettings.model_validate(yaml.safe_load(MINIMAL))
    assert settings.device("pir-living").room == "living_room"
