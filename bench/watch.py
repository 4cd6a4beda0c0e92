"""`make bench-watch`: the watch rules on 200 simulated households × 60 days → bench/results/watch.json."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from cloud.watch_evaluation import evaluate_watch, flat_results

RESULT = Path(__file__).parent / "results" / "watch.json"


def main() -> None:
    """Run the evaluation and write its figures, per rule, as JSON."""
    households = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    days = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    report = evaluate_watch(households=households, days=days)
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(flat_results(report), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for name, figures in report["rules"].items():
        if figures["incidents"] or figures["false_alarms"]:
            print(name, figures)
    print(f"wrote {RESULT} in {report['seconds']} s")


if __name__ == "__main__":
    main()
