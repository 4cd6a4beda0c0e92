"""Constants of the gateway agent."""

FIRMWARE_VERSION = "mimamori-edge/0.1.0"
