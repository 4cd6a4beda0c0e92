"""Read a gateway's YAML file into `GatewaySettings`, with errors a person can act on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from firmware_config.settings import GatewaySettings, TlsSettings


class ConfigError(ValueError):
    """A gateway configuration that cannot be used; the message names the file and the field."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


def _where(raw: Any, loc: tuple[int | str, ...]) -> str:
    """Render an error location, naming a device by its id when the file gives one."""
    parts: list[str] = []
    node = raw
    for part in loc:
        if isinstance(part, int):
            label = f"[{part}]"
            item = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                label += f" (id {item['id']!r})"
            parts.append(label)
            node = item
        else:
            # pydantic adds the union tag ("pir_motion") as a step; it is not a field of the file
            if isinstance(node, dict) and part not in node and node.get("type") == part:
                continue
            parts.append(("." if parts else "") + part)
            node = node.get(part) if isinstance(node, dict) else None
    return "".join(parts) or "(top level)"


def _problems(raw: Any, error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors(include_url=False):
        message = str(item["msg"]).removeprefix("Value error, ")
        problems.append(f"{_where(raw, tuple(item['loc']))}: {message}")
    return problems


def _anchor(path: Path | None, base: Path) -> Path | None:
    if path is None or path.is_absolute():
        return path
    return base / path


def _anchored(settings: GatewaySettings, base: Path) -> GatewaySettings:
    """Take relative file paths from the config file's folder, not from the working directory."""
    outbox = settings.outbox.model_copy(update={"path": _anchor(settings.outbox.path, base)})
    mqtt = settings.mqtt
    if mqtt.tls is not None:
        tls = TlsSettings(
            ca_file=_anchor(mqtt.tls.ca_file, base),
            cert_file=_anchor(mqtt.tls.cert_file, base),
            key_file=_anchor(mqtt.tls.key_file, base),
        )
        mqtt = mqtt.model_copy(update={"tls": tls})
    return settings.model_copy(update={"outbox": outbox, "mqtt": mqtt})


def load_gateway_settings(path: str | Path) -> GatewaySettings:
    """Read and validate one gateway YAML file, or raise ConfigError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, ["file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, [f"cannot read: {exc}"]) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f"line {mark.line + 1}, column {mark.column + 1}: "
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(path, [f"not valid YAML: {where}{problem}"]) from None
    if not isinstance(raw, dict):
        raise ConfigError(path, ["expected a mapping of settings at the top level"])
    try:
        settings = GatewaySettings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(path, _problems(raw, exc)) from None
    return _anchored(settings, path.resolve().parent)
