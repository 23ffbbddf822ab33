"""Exercise checks: run the learner's function, compare it with the library, name the mistake.

A check calls the learner's function on several inputs (edge cases included), compares each
answer with the reference, and returns one short `Verdict`:
- "passed", with the inputs it tried;
- "not implemented yet" while the function still raises NotImplementedError;
- the learner's own exception in one line, with the line of their code it came from;
- "stopped after N s" when the function hangs or is very slow;
- what differs (shape, value, where), and, when the answer equals a typical wrong answer
  (a `Mistake`), the name of that mistake and a hint.

Each chapter's checks live in their own module (`checks.embedding`, ...); this module holds what
they share. Course tooling: the paper's modules never import it.
"""

from __future__ import annotations

import copy
import signal
import sysconfig
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

TIMEOUT_S = 20.0  # a learner's function that runs longer than this is stopped
PACKAGE = str(Path(__file__).resolve().parent.parent)  # siamfc_edu: the checker's own frames
INSTALLED = tuple(
    str(Path(sysconfig.get_paths()[key]).resolve()) for key in ("stdlib", "purelib", "platlib")
)  # Python's standard library and installed packages (numpy, torch, cv2, ...)


@dataclass(frozen=True)
class Case:
    """One input to try: a name a learner understands, and the arguments."""

    name: str
    args: tuple
    kwargs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Mistake:
    """A typical wrong answer: what it is, a hint, and a function that makes it."""

    name: str
    hint: str
    fn: Callable


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check: a status and the one message shown to the learner."""

    status: str  # "passed", "not implemented", "error", "timeout", "wrong"
    message: str
    mistake: str | None = None  # the name of the recognised mistake, if any

    @property
    def passed(self) -> bool:
        """True when every input gave the reference's answer."""
        return self.status == "passed"

    def __repr__(self) -> str:
        return self.message

    def _repr_html_(self) -> str:
        color = {"passed": "#1a7f37", "not implemented": "#57606a"}.get(self.status, "#cf222e")
        return f'<pre style="color:{color}; white-space:pre-wrap">{self.message}</pre>'


class Stopped(Exception):
    """Raised inside a learner's function that ran past the time limit."""


# ----------------------------------------------------------------------------- running


def fresh(case: Case) -> Case:
    """A deep copy of a case: a function that changes its input in place spoils no other call."""
    return Case(case.name, copy.deepcopy(case.args), copy.deepcopy(case.kwargs))


def call_with_timeout(fn: Callable, case: Case, timeout: float = TIMEOUT_S) -> object:
    """fn(*case.args, **case.kwargs), stopped with `Stopped` after `timeout` seconds."""
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGALRM"):

        def stop(signum: int, frame: object) -> None:
            raise Stopped

        previous = signal.signal(signal.SIGALRM, stop)
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            return fn(*case.args, **case.kwargs)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    result: dict[str, object] = {}

    def target() -> None:
        try:
            result["value"] = fn(*case.args, **case.kwargs)
        except BaseException as error:  # handed to the caller below
            result["error"] = error

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise Stopped
    if "error" in result:
        raise result["error"]
    return result["value"]


def is_learners(filename: str) -> bool:
    """Whether a traceback's file is the learner's code: not this package, Python or a library."""
    path = Path(filename)
    if not path.is_absolute():  # compiled code (numpy's .pyx, <frozen ...>)
        return False
    resolved = str(path.resolve())
    return not resolved.startswith((PACKAGE, *INSTALLED))


def where(error: BaseException) -> str:
    """The learner's line an exception came from (frames of this package and libraries skipped)."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if is_learners(f.filename)]
    if not frames:
        return ""
    frame = frames[-1]
    code = f": `{frame.line.strip()}`" if frame.line else ""
    return f" (in {frame.name}, line {frame.lineno}{code})"


# ----------------------------------------------------------------------------- comparing


def as_array(value: object) -> np.ndarray:
    """A torch tensor, array, list or number as a float64 numpy array."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64)


def compare_arrays(got: object, expected: object, atol: float = 1e-5, rtol: float = 1e-4) -> str:
    """'' when equal within tolerance, else what differs: the shape, or the worst value, where."""
    try:
        got_a = as_array(got)
    except (TypeError, ValueError):
        return f"expected an array of shape {as_array(expected).shape}, got {type(got).__name__}"
    expected_a = as_array(expected)
    if got_a.shape != expected_a.shape:
        return f"shape {got_a.shape}, expected {expected_a.shape}"
    if not np.all(np.isfinite(got_a) == np.isfinite(expected_a)):
        return "NaN or infinite values where the reference has none (or the other way round)"
    error = np.abs(np.nan_to_num(got_a) - np.nan_to_num(expected_a))
    bad = error > atol + rtol * np.abs(np.nan_to_num(expected_a))
    if not bad.any():
        return ""
    index = np.unravel_index(np.argmax(np.where(bad, error, -1)), error.shape)
    at = f" at index {tuple(int(i) for i in index)}" if got_a.ndim else ""
    return (f"{int(bad.sum())} of {bad.size} values differ; the worst{at} is "
            f"{got_a[index]:.6g}, expected {expected_a[index]:.6g}")  # fmt: skip


def recognise(mistakes: Sequence[Mistake], got: object, case: Case, compare: Callable) -> str:
    """The name of the typical mistake whose answer on this input equals the learner's, or ''."""
    for mistake in mistakes:
        try:
            copied = fresh(case)
            wrong = mistake.fn(*copied.args, **copied.kwargs)
        except Exception:  # a mistake that cannot run on this input matches nothing
            continue
        if not compare(got, wrong):
            return mistake.name
    return ""


# ----------------------------------------------------------------------------- the check


def check(
    title: str,
    learner: Callable,
    reference: Callable,
    cases: Sequence[Case],
    mistakes: Sequence[Mistake] = (),
    compare: Callable[[object, object], str] = compare_arrays,
    hint: str = "",
    timeout: float = TIMEOUT_S,
) -> Verdict:
    """Try the learner's function on every case against the reference; one verdict."""
    for case in cases:
        try:
            got = call_with_timeout(learner, fresh(case), timeout)
        except NotImplementedError:
            return Verdict("not implemented", f"{title}: not implemented yet.")
        except Stopped:
            return Verdict("timeout", f"{title}: stopped after {timeout:g} s on {case.name}: "
                           "does it loop forever, or loop in Python over every pixel?")  # fmt: skip
        except Exception as error:
            message = f"{type(error).__name__}: {error}".strip().splitlines()[0][:300]
            return Verdict("error", f"{title}: on {case.name}, your code raised {message}"
                           f"{where(error)}")  # fmt: skip
        problem = compare(got, reference(*case.args, **case.kwargs))
        if problem:
            return wrong(
                title, case, problem, recognise(mistakes, got, case, compare), mistakes, hint
            )
    names = ", ".join(case.name for case in cases)
    return Verdict("passed", f"{title}: passed on {len(cases)} inputs ({names}).")


def wrong(
    title: str, case: Case, problem: str, name: str, mistakes: Sequence[Mistake], hint: str
) -> Verdict:
    """The verdict for a wrong answer: what differs, and the mistake it matches if any."""
    known = next((m for m in mistakes if m.name == name), None)
    if known:
        advice = f" Likely mistake: {known.name}. Hint: {known.hint}"
    else:
        advice = f" Hint: {hint}" if hint else ""
    return Verdict("wrong", f"{title}: wrong on {case.name}: {problem}.{advice}", name or None)
