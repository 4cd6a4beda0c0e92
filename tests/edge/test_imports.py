"""The gateway runs on a Raspberry Pi with its own dependencies only."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import edge

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVER_PACKAGES = ("fastapi", "sqlalchemy", "shapely", "apprise", "pydantic_settings", "amqtt")


def test_edge_imports_no_server_packages() -> None:
    """Importing every edge module pulls in none of the server-side packages."""
    modules = sorted(info.name for info in pkgutil.walk_packages(edge.__path__, prefix="edge."))
    assert "edge.drivers.ds18b20" in modules and "edge.__main__" in modules
    script = (
        "import importlib, json, sys\n"
        f"for name in {['edge', *modules]!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in {list(SERVER_PACKAGES)!r} if m in sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
