"""The cloud's settings: one pydantic-settings class, read from MIMAMORI_* variables, validated at start."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from protocol import MAX_PAYLOAD_BYTES

LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost"})


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Settings(BaseSettings):
    """Everything the cloud service needs to start; unsafe combinations are refused."""

    model_config = SettingsConfigDict(env_prefix="MIMAMORI_", frozen=True, extra="ignore")

    data_dir: Path = Path("./data")
    database_url: str = Field(default="", description="SQLAlchemy URL; default SQLite in data_dir/mimamori.db.")
    telemetry_url: str = Field(default="", description="Telemetry store URL; default SQLite in data_dir/telemetry.db.")

    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = Field(default=1883, ge=1, le=65535)
    mqtt_username: str | None = None
    mqtt_password: SecretStr | None = None
    mqtt_tls_ca: Path | None = None
    mqtt_protocol: Literal["5", "3.1.1"] = "5"
    mqtt_client_id: str = Field(default="mimamori-cloud-ingest", min_length=1, max_length=64)
    mqtt_keepalive_s: int = Field(default=30, ge=5, le=3600)

    ingest_batch_size: int = Field(default=1000, ge=1, le=50_000)
    ingest_batch_wait_s: float = Field(default=0.02, ge=0, le=5, description="Longest a batch waits to fill.")
    max_payload_bytes: int = Field(default=MAX_PAYLOAD_BYTES, ge=256, le=16 * 1024 * 1024)
    rule_tick_s: float = Field(default=0.5, gt=0, le=60, description="Wall seconds between rule timer checks.")
    gateway_offline_after_s: float = Field(
        default=180.0, gt=0, le=86_400, description="Silence after which a gateway counts as offline (clock seconds)."
    )
    checkpoint_interval_s: float = Field(default=5.0, gt=0, le=3600, description="Wall seconds between checkpoints.")
    dedup_retention_days: float = Field(default=7.0, gt=0, le=365)

    api_host: str = "127.0.0.1"
    api_port: int | None = Field(default=8000, ge=0, le=65535, description="None disables the API; 0 picks a port.")
    api_token: SecretStr | None = None
    public_url: str | None = None

    demo: bool = False
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"

    @model_validator(mode="before")
    @classmethod
    def _fill_urls_from_data_dir(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        data_dir = Path(values.get("data_dir") or "./data")
        if not values.get("database_url"):
            values["database_url"] = f"sqlite:///{data_dir / 'mimamori.db'}"
        if not values.get("telemetry_url"):
            values["telemetry_url"] = f"sqlite:///{data_dir / 'telemetry.db'}"
        return values

    @field_validator("api_port", mode="before")
    @classmethod
    def _empty_port_disables(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("api_token", "mqtt_password", mode="before")
    @classmethod
    def _empty_secret_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> Settings:
        if self.api_token is not None and self.api_token.get_secret_value().strip().lower() in {"changeme", "secret"}:
            raise ValueError("api_token must not be a placeholder such as 'changeme'")
        if self.api_port is not None and not _is_loopback(self.api_host) and self.api_token is None and not self.demo:
            raise ValueError(f"api_host {self.api_host} is reachable from outside: set MIMAMORI_API_TOKEN")
        if self.mqtt_tls_ca is not None and not self.mqtt_tls_ca.is_file():
            raise ValueError(f"mqtt_tls_ca {self.mqtt_tls_ca} is not a file")
        return self

    @property
    def api_token_value(self) -> str | None:
        """Return the API token in clear, or None when the API is open."""
        return None if self.api_token is None else self.api_token.get_secret_value()
