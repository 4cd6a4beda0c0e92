"""The cloud's settings: one pydantic-settings class, read from MIMAMORI_* variables, validated at start."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from protocol import MAX_PAYLOAD_BYTES

LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost"})
PLACEHOLDER_SECRETS = frozenset({"changeme", "secret", "change-me", "password"})
# the demo's fixed key: fine for made-up people, refused everywhere else
DEMO_SESSION_SECRET = "mimamori-demo-session-secret-not-for-production"


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
    telemetry_url: str = Field(
        default="",
        description="Telemetry store: sqlite:///path (default data_dir/telemetry.db) or victoriametrics+http://host:8428.",
    )

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
    session_secret: SecretStr | None = Field(
        default=None, description="Key of session and API token hashes; random per start when unset (demo only)."
    )
    map_tile_url: str = Field(
        default="https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png",
        description="Background tiles of the web maps; empty shows the vector layers alone.",
    )
    map_tile_attribution: str = '<a href="https://maps.gsi.go.jp/development/ichiran.html">地理院タイル</a>'

    # disaster alerts (alerts/disaster, cloud/disaster.py)
    disaster_approval_required: bool = Field(default=False, description="A second person approves before release.")
    disaster_link_secret: SecretStr | None = Field(
        default=None, description="Key of the signed safety links; generated once into the data dir when unset."
    )
    disaster_sender: str = Field(default="bousai@city.taito.lg.jp", description="The CAP sender of our alerts.")
    disaster_cap_feeds: list[str] = Field(default_factory=list, description="Atom feeds of CAP messages to poll.")
    disaster_cap_poll_s: float = Field(default=60.0, gt=0, le=86_400)
    disaster_cap_release: bool = Field(
        default=False, description="Release imported CAP alerts at once instead of keeping them as drafts."
    )
    disaster_expiry_h: float = Field(
        default=24.0,
        gt=0,
        le=24 * 30,
        description="Hours a released alert stays active when its author gives no expiry (CAP info/expires).",
    )
    disaster_expiry_h_by_hazard: dict[str, float] = Field(
        default_factory=dict,
        description='Per-hazard default expiry in hours, e.g. {"earthquake": 72}; others use disaster_expiry_h.',
    )
    webpush_subject: str = Field(default="mailto:bousai@city.taito.lg.jp", description="VAPID contact (sub claim).")

    # watch alerts (cloud/alerting.py, cloud/ack_links.py)
    ack_link_secret: SecretStr | None = Field(
        default=None,
        description="Key of the one-tap acknowledgement links; generated once into the data dir when unset.",
    )
    ack_link_ttl_h: float = Field(default=72.0, gt=0, le=24 * 30, description="Hours an acknowledgement link works.")

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

    @field_validator("telemetry_url")
    @classmethod
    def _known_telemetry_store(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "victoriametrics+http://", "victoriametrics+https://")):
            raise ValueError("use sqlite:///path/telemetry.db or victoriametrics+http://host:8428")
        return value

    @field_validator("api_port", mode="before")
    @classmethod
    def _empty_port_disables(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("api_token", "mqtt_password", "session_secret", "disaster_link_secret", mode="before")
    @classmethod
    def _empty_secret_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("disaster_expiry_h_by_hazard")
    @classmethod
    def _known_hazards(cls, value: dict[str, float]) -> dict[str, float]:
        from alerts.disaster.model import parse_hazard

        for name, hours in value.items():
            parse_hazard(name)  # a typo would silently fall back to the general default
            if not 0 < hours <= 24 * 30:
                raise ValueError(f"the default expiry of {name} must be more than 0 and at most 720 hours")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> Settings:
        if self.ack_link_secret is not None and not self.demo:
            ack_secret = self.ack_link_secret.get_secret_value()
            if ack_secret.strip().lower() in {"changeme", "secret", "change-me", "password"} or ack_secret.startswith(
                "mimamori-demo"
            ):
                raise ValueError("ack_link_secret must not be a placeholder or the demo secret outside demo mode")
        if self.api_token is not None and self.api_token.get_secret_value().strip().lower() in {"changeme", "secret"}:
            raise ValueError("api_token must not be a placeholder such as 'changeme'")
        if self.api_port is not None and not _is_loopback(self.api_host) and self.api_token is None and not self.demo:
            raise ValueError(f"api_host {self.api_host} is reachable from outside: set MIMAMORI_API_TOKEN")
        if not self.demo and self.session_secret is not None:
            secret = self.session_secret.get_secret_value()
            if secret.strip().lower() in PLACEHOLDER_SECRETS or secret == DEMO_SESSION_SECRET or len(secret) < 32:
                raise ValueError("session_secret must be a random string of 32+ characters, not a default")
        if (
            self.api_port is not None
            and not _is_loopback(self.api_host)
            and self.session_secret is None
            and not self.demo
        ):
            raise ValueError(f"api_host {self.api_host} is reachable from outside: set MIMAMORI_SESSION_SECRET")
        if not self.demo and self.disaster_link_secret is not None:
            link_secret = self.disaster_link_secret.get_secret_value()
            if link_secret.strip().lower() in PLACEHOLDER_SECRETS or link_secret == DEMO_SESSION_SECRET:
                raise ValueError("disaster_link_secret must not be a default; leave it unset to generate one")
        if self.mqtt_tls_ca is not None and not self.mqtt_tls_ca.is_file():
            raise ValueError(f"mqtt_tls_ca {self.mqtt_tls_ca} is not a file")
        return self

    @property
    def session_secret_value(self) -> str | None:
        """Return the session key in clear, or None when each start picks a random one."""
        return None if self.session_secret is None else self.session_secret.get_secret_value()

    @property
    def api_token_value(self) -> str | None:
        """Return the API token in clear, or None when the API is open."""
        return None if self.api_token is None else self.api_token.get_secret_value()
