"""The HTTP API (FastAPI): health, metrics and the /api/v1 resources."""

from cloud.api.app import API_PREFIX, create_app, prometheus_text

__all__ = ["API_PREFIX", "create_app", "prometheus_text"]
