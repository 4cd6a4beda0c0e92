"""Export the payload models as JSON Schema files, for firmware written in other languages.

Run ``python -m protocol.schema_export`` after changing a model; a test checks the files match.
"""

from __future__ import annotations

import json
from pathlib import Path

from protocol.models import MODEL_BY_KIND
from protocol.topics import TopicKind

SCHEMA_DIR = Path(__file__).parent / "schema"


def schema_documents() -> dict[str, str]:
    """Return file name → JSON Schema text for every message kind."""
    documents: dict[str, str] = {}
    for kind in TopicKind:
        schema = MODEL_BY_KIND[kind].model_json_schema(mode="validation")
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"https://mimamori.example/schema/v1/{kind.value}.schema.json"
        documents[f"{kind.value}.schema.json"] = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    return documents


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Write every schema file into `directory` and return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schema_documents().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_schemas():
        print(path)
