"""MQTT ingest: validate, de-duplicate, store, acknowledge, then feed the rules."""

from cloud.ingest.consumer import MqttIngest
from cloud.ingest.pipeline import Accepted, GatewayRegistry, IngestPipeline, RawMessage
from cloud.ingest.rules import Lifecycle, Rules, RuleStream, load_checkpoint
from cloud.ingest.stats import REJECT_REASONS, IngestSnapshot, IngestStats

__all__ = [
    "REJECT_REASONS",
    "Accepted",
    "GatewayRegistry",
    "IngestPipeline",
    "IngestSnapshot",
    "IngestStats",
    "Lifecycle",
    "MqttIngest",
    "RawMessage",
    "RuleStream",
    "Rules",
    "load_checkpoint",
]
