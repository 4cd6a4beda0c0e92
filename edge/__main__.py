"""Run the gateway agent: ``python -m edge --config /etc/mimamori/gateway.yaml``.

Logs go to stderr (journald picks them up under systemd). SIGTERM and SIGINT stop the agent
cleanly: it publishes its retained offline status and closes the outbox.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from edge.agent import GatewayAgent
from firmware_config import ConfigError, GatewaySettings, load_gateway_settings

DEFAULT_CONFIG = Path("/etc/mimamori/gateway.yaml")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="python -m edge", description="Run the mimamori gateway agent.")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="gateway YAML file")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return parser.parse_args(argv)


async def serve(agent: GatewayAgent) -> None:
    """Run the agent until SIGTERM or SIGINT."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, agent.stop)
    await agent.run()


def main(argv: list[str] | None = None) -> int:
    """Load the configuration and run the agent; return the exit status."""
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings: GatewaySettings = load_gateway_settings(args.config)
    except ConfigError as exc:
        print(f"mimamori gateway: {exc}", file=sys.stderr)
        return 2
    asyncio.run(serve(GatewayAgent(settings)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
