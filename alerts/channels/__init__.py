"""Notification channels, one module per channel; the outbox sends through `NotificationChannel`."""

from alerts.channels.apprise_channel import AppriseChannel, describe_url
from alerts.channels.base import DeliveryResult, NotificationChannel

__all__ = ["AppriseChannel", "DeliveryResult", "NotificationChannel", "describe_url"]
