"""Sample the ingest process with py-spy and say where its time goes."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def py_spy_path() -> str | None:
    """Return the py-spy executable next to this Python, or on PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def record(pid: int, output: Path, *, duration_s: float, rate_hz: int = 100) -> bool:
    """Sample `pid` for `duration_s` into a collapsed-stack file; return whether it worked."""
    spy = py_spy_path()
    if spy is None:
        log.warning("py-spy is not installed: no profile (pip install py-spy)")
        return False
    command = [
        spy,
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(max(1, round(duration_s))),
        "--rate",
        str(rate_hz),
        "--format",
        "raw",
        "--nonblocking",
        "--output",
        str(output),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not output.exists():
        log.warning("py-spy failed (%s): %s", result.returncode, result.stderr.strip()[-500:])
        return False
    return True


@dataclass(frozen=True, slots=True)
class ProfileEntry:
    name: str
    percent: float

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "percent": self.percent}


def _frame_name(frame: str) -> tuple[str, str]:
    """Return (function with its short file, owning area) of one py-spy frame."""
    match = _FRAME.match(frame.strip())
    if match is None:
        return frame.strip(), "other"
    function, file = match["function"], match["file"]
    return f"{function} ({_short(file)})", _area(file)


OUR_FOLDERS = ("cloud", "alerts", "protocol", "maps", "edge", "simulators", "firmware_config", "bench")


def _short(file: str) -> str:
    for marker in ("site-packages/", "/work/main/", "/lib/python3.11/"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


def _area(file: str) -> str:
    """Name the package a frame belongs to: ours by folder, others by top-level package, else stdlib."""
    path = _short(file)
    if path.startswith("<"):
        return "generated code (namedtuple, dataclass, eval)"
    if "/" not in path:
        return "stdlib " + path.removesuffix(".py")
    top = path.split("/", 1)[0]
    if top in OUR_FOLDERS:
        return f"mimamori {top}/"
    if top in sys.stdlib_module_names:
        return f"stdlib {top}"
    return top


def _thread_role(names: list[str]) -> str:
    """Name a sampled thread by the first frame of ours or of a library below threading's bootstrap."""
    for name in names:
        if not name.startswith(("Thread.", "<module>", "_run_module", "_main (", "spawn_main", "BaseProcess")):
            return name
    return names[0] if names else "unknown"


@dataclass(frozen=True, slots=True)
class ProfileSummary:
    """The hot spots of a collapsed-stack profile, as percentages of the ingest's samples.

    Samples of the bench's own counter thread in the ingest process are left out and counted apart.
    """

    samples: int
    bench_samples: int
    self_time: list[ProfileEntry]
    inclusive: list[ProfileEntry]
    by_area: list[ProfileEntry]
    by_thread: list[ProfileEntry]

    def as_dict(self) -> dict[str, Any]:
        return {
            "samples": self.samples,
            "bench_samples_left_out": self.bench_samples,
            "self": [entry.as_dict() for entry in self.self_time],
            "inclusive": [entry.as_dict() for entry in self.inclusive],
            "by_area_self": [entry.as_dict() for entry in self.by_area],
            "by_thread": [entry.as_dict() for entry in self.by_thread],
        }


def summarize(collapsed: Path, *, top: int = 20) -> ProfileSummary:
    """Read py-spy's raw output ("thread;frame;...;frame count" per line) and rank functions."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    samples = 0
    bench_samples = 0
    for line in collapsed.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [frame for frame in stack.split(";") if not frame.startswith(("thread ", "process "))]
        if not frames:
            continue
        names = [_frame_name(frame) for frame in frames]
        if any(area == "mimamori bench/" for _, area in names):
            # the bench's own counter thread in the ingest process is not the ingest's time
            bench_samples += count
            continue
        samples += count
        threads[_thread_role([name for name, _ in names])] += count
        leaf, area = names[-1]
        own[leaf] += count
        areas[area] += count
        # thread and process bootstrap frames are in every stack and say nothing
        for name in {name for name, area in names if area not in ("stdlib threading", "stdlib multiprocessing")}:
            total[name] += count

    def ranked(counter: Counter[str], limit: int) -> list[ProfileEntry]:
        return [ProfileEntry(name, round(100.0 * n / samples, 1)) for name, n in counter.most_common(limit)]

    if samples == 0:
        return ProfileSummary(
            samples=0, bench_samples=bench_samples, self_time=[], inclusive=[], by_area=[], by_thread=[]
        )
    return ProfileSummary(
        samples=samples,
        bench_samples=bench_samples,
        self_time=ranked(own, top),
        inclusive=ranked(total, top),
        by_area=ranked(areas, top),
        by_thread=ranked(threads, 10),
    )
