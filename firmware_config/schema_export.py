"""Export the gateway configuration model as JSON Schema, for editors and provisioning tools.

Run ``python -m firmware_config.schema_export`` after changing a model; a test checks the file
matches.
"""

from __future__ import annotations

import json
from pathlib import Path

from firmware_config.settings import GatewaySettings

SCHEMA_DIR = Path(__file__).parent / "schema"
SCHEMA_FILE = "gateway.schema.json"


def schema_document() -> str:
    """Return the JSON Schema text of the gateway configuration."""
    schema = GatewaySettings.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://mimamori.example/schema/v1/{SCHEMA_FILE}"
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write_schema(directory: Path = SCHEMA_DIR) -> Path:
    """Write the schema file into `directory` and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / SCHEMA_FILE
    path.write_text(schema_document(), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write_schema())
