"""Run several protocols for several trackers, write their results, tables and figures in one go.

What `siamfc-edu evaluate --protocol ope,tre,sre,vot` calls: OTB's protocols on OTB-layout
sequences, VOT's on VOT-layout ones; each protocol's result files in <out>/<protocol>/, then
protocols.md (the tables), protocols.png (the paper's Fig. 3) and eao.png.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..data.sequence import Sequence
from ..files import write_text, writing
from ..interface import Tracker
from . import otb, results, vot

ALL = ("ope", "tre", "sre", "vot")


def parse_protocols(text: str) -> list[str]:
    """'ope,tre,sre,vot' -> the protocols, checked."""
    names = [p.strip().lower() for p in text.split(",") if p.strip()]
    unknown = [p for p in names if p not in ALL]
    if unknown or not names:
        raise ValueError(f"--protocol: unknown {unknown or text!r}; choose from {', '.join(ALL)}")
    return names


def vot_root(data: str | Path) -> Path:
    """The VOT layout in a data set: <data>/VOT (as make-data --layout vot writes) or <data>."""
    data = Path(data)
    for root in (data / "VOT", data):
        if (root / "list.txt").is_file():
            return root
    raise FileNotFoundError(
        f"no VOT layout at {data} (expected {data}/VOT/list.txt or {data}/list.txt): "
        "write one with `siamfc-edu make-data --layout vot`"
    )


@contextmanager
def announced(say: Callable[[str], None], protocol: str, tracker: str, sequences: int) -> Iterator:
    """Say when a tracker starts a protocol and how long it took."""
    start = time.perf_counter()
    say(f"{protocol.upper()}: {tracker} on {sequences} sequences ...")
    yield
    say(f"{protocol.upper()}: {tracker} done in {time.perf_counter() - start:.1f} s")


def run_protocols(
    makers: dict[str, Callable[[], Tracker]],
    protocols: list[str],
    out: str | Path,
    otb_sequences: list[Sequence] | None = None,
    vot_sequences: list[vot.VOTSequence] | None = None,
    say: Callable[[str], None] = print,
) -> str:
    """Every tracker under every protocol; returns the report (also written to protocols.md).

    `say` hears one line as each tracker starts a protocol and as it ends, with its time, so a
    long run (TRE tracks each sequence from 20 starts) is never silent.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lines, summaries, seconds = [], {}, {}
    for protocol in (p for p in protocols if p in otb.PROTOCOLS):
        start, runs = time.perf_counter(), []
        for name, make in makers.items():
            with announced(say, protocol, name, len(otb_sequences)):
                runs += otb.evaluate_protocol(make(), otb_sequences, protocol, name)
        seconds[protocol] = time.perf_counter() - start
        results.save_runs(runs, out / protocol, protocol)
        summaries[protocol] = otb.summarize_protocol(runs)
    if summaries:
        n_runs = {p: len(otb.protocol_runs(otb_sequences[0], p)) for p in summaries}
        lines += [
            f"OTB protocols on {len(otb_sequences)} sequences (runs per sequence: "
            + ", ".join(f"{p.upper()} {n}" for p, n in n_runs.items()) + ")\n",
            otb.format_protocol_table(summaries),
        ]  # fmt: skip
        otb.plot_protocols(summaries).savefig(out / "protocols.png", dpi=150)
    if "vot" in protocols:
        start, runs = time.perf_counter(), []
        for name, make in makers.items():
            with announced(say, "vot", name, len(vot_sequences)):
                runs += vot.evaluate_supervised(make(), vot_sequences, name)
        seconds["vot"] = time.perf_counter() - start
        results.save_supervised(runs, out / "vot")
        vot_summaries = vot.summarize_supervised(runs)
        lines += [
            f"\nVOT supervised protocol on {len(vot_sequences)} sequences, as the paper's Table 2 "
            "(the paper's rows: VOT-15, not comparable)\n",
            vot.format_vot_table(vot_summaries),
            "\n" + vot.format_sequence_table(runs),
        ]
        with writing(out / "eao.png"):
            vot.plot_eao(vot_summaries).savefig(out / "eao.png", dpi=150)
    lines.append("\nwall time: " + ", ".join(f"{p.upper()} {s:.1f} s" for p, s in seconds.items()))
    report = "\n".join(lines)
    write_text(out / "protocols.md", report + "\n")
    return report
