"""Result files: one folder per protocol, marked by its protocol.json, read back to be re-scored.

OPE / TRE / SRE: <folder>/<tracker>/<sequence>@<run>.txt, one box x,y,w,h per line (0-based).
VOT: <folder>/<tracker>/baseline/<sequence>/<sequence>_001.txt in the VOT toolkit's format (also
got10k's): per frame '1' (initialised), '2' (failed), '0' (skipped) or the box x,y,w,h; seconds per
frame in <sequence>_time.txt. A folder the toolkits wrote (no protocol.json) reads as VOT.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .. import evaluate as ev
from ..data.sequence import Sequence
from ..files import write_text, writing
from .otb import PROTOCOLS, frame_size, true_boxes
from .vot import (
    FAILED,
    INITIALISED,
    SKIPPED,
    TRACKED,
    SupervisedRun,
    VOTSequence,
    region_overlap,
)  # fmt: skip

MANIFEST = "protocol.json"


def check_protocol(folder: str | Path, protocol: str, required: bool = True) -> None:
    """An error naming the file when `folder` holds another protocol's results (or none)."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        if required:
            raise FileNotFoundError(f"no {MANIFEST} in {folder}: not a {protocol} results folder")
        return
    try:
        found = json.loads(path.read_text()).get("protocol")
    except (json.JSONDecodeError, AttributeError):
        raise ValueError(f"{path} is not a manifest (JSON with a 'protocol' key)") from None
    if found != protocol:
        raise ValueError(f"{path}: this folder holds {found} results, not {protocol}")


def _start_manifest(folder: Path, protocol: str) -> None:
    """Create the folder and its manifest (or check that an existing one is the same protocol)."""
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / MANIFEST).is_file():
        check_protocol(folder, protocol)
    else:
        write_text(folder / MANIFEST, json.dumps({"protocol": protocol}) + "\n")


def save_runs(results: list[ev.SequenceResult], folder: str | Path, protocol: str) -> Path:
    """Write OPE / TRE / SRE run results: one box file per tracker and run."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown OTB protocol {protocol!r}; choose from {', '.join(PROTOCOLS)}")
    folder = Path(folder)
    _start_manifest(folder, protocol)
    for r in results:
        path = folder / r.tracker / f"{r.sequence}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        with writing(path):
            np.savetxt(path, r.boxes, fmt="%.4f", delimiter=",")
        with writing(path.with_suffix(".time")):
            np.savetxt(path.with_suffix(".time"), r.times, fmt="%.6f")
    return folder


def load_runs(
    folder: str | Path, protocol: str, sequences: list[Sequence]
) -> list[ev.SequenceResult]:
    """Read back what `save_runs` wrote, scored against the sequences' true boxes."""
    folder = Path(folder)
    check_protocol(folder, protocol)
    by_name = {s.name: s for s in sequences}
    results = []
    for tracker_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        for path in sorted(tracker_dir.glob("*.txt")):
            seq_name, _, label = path.stem.rpartition("@")
            if seq_name not in by_name:
                raise ValueError(f"{path}: no sequence named {seq_name!r} in the data set")
            seq = by_name[seq_name]
            start = int(label.split()[1]) if label.startswith("start ") else 0
            gt = true_boxes(seq)[start:]
            boxes = np.loadtxt(path, delimiter=",", ndmin=2)
            if boxes.shape != gt.shape:
                raise ValueError(f"{path}: {len(boxes)} boxes for the {len(gt)} frames of its run")
            times = np.loadtxt(path.with_suffix(".time"), ndmin=1)
            results.append(ev.SequenceResult(
                tracker_dir.name, path.stem, boxes, gt, times, list(seq.attributes)))  # fmt: skip
    return results


def save_supervised(runs: list[SupervisedRun], folder: str | Path) -> Path:
    """Write VOT supervised runs in the VOT toolkit's result format."""
    folder = Path(folder)
    _start_manifest(folder, "vot")
    for run in runs:
        base = folder / run.tracker / "baseline" / run.sequence
        base.mkdir(parents=True, exist_ok=True)
        lines = [
            ",".join(f"{v:.4f}" for v in box) if state == TRACKED else str(state)
            for state, box in zip(run.states, run.boxes, strict=True)
        ]
        write_text(base / f"{run.sequence}_001.txt", "\n".join(lines) + "\n")
        times = ["NaN" if np.isnan(t) else f"{t:.6f}" for t in run.times]
        write_text(base / f"{run.sequence}_time.txt", "\n".join(times) + "\n")
    return folder


def load_supervised(
    folder: str | Path, tracker: str, sequences: list[VOTSequence]
) -> list[SupervisedRun]:
    """Read one tracker's VOT results (ours, or the toolkits') and score them on the polygons."""
    folder = Path(folder)
    check_protocol(folder, "vot", required=False)
    runs = []
    for vs in sequences:
        path = folder / tracker / "baseline" / vs.name / f"{vs.name}_001.txt"
        if not path.is_file():
            raise FileNotFoundError(f"no VOT result file {path}")
        rows = [line.strip() for line in path.read_text().splitlines() if line.strip()]
        if len(rows) != len(vs.polygons):
            raise ValueError(f"{path}: {len(rows)} lines for {len(vs.polygons)} frames")
        states = np.full(len(rows), TRACKED)
        boxes = np.full((len(rows), 4), np.nan)
        overlaps = np.full(len(rows), np.nan)
        size = frame_size(vs.sequence)
        for i, row in enumerate(rows):
            values = [float(v) for v in row.split(",")]
            if len(values) == 1 and values[0] in (SKIPPED, INITIALISED, FAILED):
                states[i] = int(values[0])
                overlaps[i] = 0.0 if states[i] == FAILED else np.nan
            elif len(values) == 4:
                boxes[i] = values
                overlaps[i] = region_overlap(vs.polygons[i], values, size)
            else:
                raise ValueError(f"{path}, line {i + 1}: expected 0, 1, 2 or x,y,w,h, got {row!r}")
        time_file = path.with_name(f"{vs.name}_time.txt")
        times = np.full(len(rows), np.nan)
        if time_file.is_file():
            times = np.array([float(line.split(",")[0]) for line in
                              time_file.read_text().split()])  # fmt: skip
        runs.append(SupervisedRun(tracker, vs.name, states, boxes, overlaps, times))
    return runs
