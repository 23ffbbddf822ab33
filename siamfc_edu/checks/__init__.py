"""Exercise checks: run the learner's function, compare it with the library, name the mistake.

A check calls the learner's function on several inputs (edge cases included), compares each
answer with the reference, and returns one short `Verdict`:
- "passed", with the inputs it tried;
- "not implemented yet" while the function still raises NotImplementedError;
- the learner's own exception in one line, with the line of their code it came from (also for
  `sys.exit()` and KeyboardInterrupt, which never escape a check);
- "stopped after N s" when the function hangs or is very slow;
- a changed input ("changed its argument `maps` in place"), a missing `return`, or the wrong
  type or dtype ("returned a numpy array; expected a torch tensor");
- what differs (shape, value, where), and the typical mistake (a `Mistake`) only when the
  learner's answers equal that mistake's answers on every input tried; when two fit, both.

Grading mode (`SIAMFC_EDU_GRADING=1`, read by `grading_mode`): a verdict other than "passed"
raises AssertionError with the same message, so that nbval and nbgrader see a failing cell.
Learners keep the printing mode. Each chapter's checks live in their own module
(`checks.embedding`, ...) and wrap their public `check_*` functions with `graded`.
Course tooling: the paper's modules never import it.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import inspect
import io
import os
import signal
import sys
import sysconfig
import textwrap
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from numbers import Real
from pathlib import Path

import numpy as np

TIMEOUT_S = 20.0  # a learner's function that runs longer than this is stopped
PRINT_LIMIT = 2_000  # characters of a learner's own prints shown beside the verdict
GRADING = "SIAMFC_EDU_GRADING"  # the environment variable of grading mode
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
    also: tuple[str, ...] = ()  # other mistakes that fit the answers as well

    @property
    def passed(self) -> bool:
        """True when every input gave the reference's answer."""
        return self.status == "passed"

    @property
    def mistakes(self) -> tuple[str, ...]:
        """Every recognised mistake's name (none, one, or several that fit equally)."""
        return (self.mistake, *self.also) if self.mistake else ()

    def __repr__(self) -> str:
        return self.message

    def _repr_html_(self) -> str:
        color = {"passed": "#1a7f37", "not implemented": "#57606a"}.get(self.status, "#cf222e")
        style = f"color:{color}; white-space:pre-wrap; word-break:normal; overflow-wrap:break-word"
        return f'<pre style="{style}">{escape_html(self.message)}</pre>'


def escape_html(text: str) -> str:
    """Text safe inside HTML: a learner's repr with '<' or '&' shows as written."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Stopped(Exception):
    """Raised inside a learner's function that ran past the time limit."""


# ----------------------------------------------------------------------------- grading


def grading_mode() -> bool:
    """Whether a verdict other than "passed" raises (SIAMFC_EDU_GRADING=1): for CI and nbgrader."""
    return os.environ.get(GRADING, "").strip().lower() in ("1", "true", "yes")


_depth = threading.local()  # how many graded checks are running: only the outermost one raises


def graded(checker: Callable[..., Verdict]) -> Callable[..., Verdict]:
    """A public check that, in grading mode, raises AssertionError(message) unless it passed."""

    @functools.wraps(checker)
    def run(*args: object, **kwargs: object) -> Verdict:
        __tracebackhide__ = True  # noqa: F841 (IPython and pytest leave this frame out)
        _depth.n = getattr(_depth, "n", 0) + 1
        try:
            verdict = checker(*args, **kwargs)
        finally:
            _depth.n -= 1
        if _depth.n == 0 and grading_mode() and not verdict.passed:
            raise AssertionError(textwrap.fill(verdict.message, 100))  # readable in feedback
        return verdict

    return run


# ----------------------------------------------------------------------------- running


def fresh(case: Case) -> Case:
    """A deep copy of a case: a function that changes its input in place spoils no other call."""
    return Case(case.name, copy.deepcopy(case.args), copy.deepcopy(case.kwargs))


class _Capped(io.StringIO):
    """A stdout that keeps the first PRINT_LIMIT characters and counts the rest."""

    def __init__(self) -> None:
        super().__init__()
        self.dropped = 0

    def write(self, text: str) -> int:
        room = max(PRINT_LIMIT - self.tell(), 0)
        super().write(text[:room])
        self.dropped += max(len(text) - room, 0)
        return len(text)


@contextlib.contextmanager
def capped_prints() -> Iterator[None]:
    """The learner's prints, shown after their function ran, cut after PRINT_LIMIT characters."""
    buffer = _Capped()
    try:
        with contextlib.redirect_stdout(buffer):
            yield
    finally:
        shown = buffer.getvalue()
        if shown:
            sys.stdout.write(shown if shown.endswith("\n") else shown + "\n")
        if buffer.dropped:
            sys.stdout.write(f"... ({buffer.dropped:,} more characters printed by your code)\n")


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


def one_line(error: BaseException) -> str:
    """An exception as `Type: first line`, at most 300 characters."""
    text = f"{type(error).__name__}: {error}".strip() or type(error).__name__
    return text.splitlines()[0][:300]


def escaped(error: BaseException) -> str:
    """What a learner's SystemExit or KeyboardInterrupt means, in words."""
    if isinstance(error, SystemExit):
        code = "" if error.code is None else repr(error.code)
        return f"called sys.exit({code}): a check needs your function to return its answer"
    return f"raised {type(error).__name__} (interrupted)"


# ----------------------------------------------------------------------------- in-place changes


def unchanged(before: object, after: object, depth: int = 0) -> bool:
    """Whether `after` still equals `before`: tensors, arrays, containers, modules, numbers."""
    if depth > 8:  # deeper than any input of an exercise: assumed untouched
        return True
    same = functools.partial(unchanged, depth=depth + 1)
    if hasattr(before, "state_dict") and hasattr(after, "state_dict"):
        return same(dict(before.state_dict()), dict(after.state_dict()))
    if hasattr(before, "detach") and hasattr(after, "detach"):
        before, after = before.detach().cpu().numpy(), after.detach().cpu().numpy()
    if isinstance(before, np.ndarray) or isinstance(after, np.ndarray):
        a, b = np.asarray(before), np.asarray(after)
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        nan_ok = a.dtype.kind in "fc"
        return bool(np.array_equal(a, b, equal_nan=nan_ok))
    if isinstance(before, dict) and isinstance(after, dict):
        return before.keys() == after.keys() and all(same(before[k], after[k]) for k in before)
    if isinstance(before, (list, tuple)) and isinstance(after, (list, tuple)):
        return len(before) == len(after) and all(map(same, before, after))
    if isinstance(before, (Real, str, bytes, type(None))):
        return before == after or (before != before and after != after)  # NaN stays NaN
    if hasattr(before, "__dict__") and hasattr(after, "__dict__"):
        return same(vars(before), vars(after))
    return True  # an object we cannot compare is assumed untouched


def changed_argument(
    learner: Callable, before: Case, after: Case, may_change: Sequence[int | str]
) -> str:
    """The name of the first argument the learner's call changed in place, or ''."""
    try:
        names = list(inspect.signature(learner).parameters)
    except (TypeError, ValueError):
        names = []
    for i, (a, b) in enumerate(zip(before.args, after.args, strict=True)):
        if i not in may_change and not unchanged(a, b):
            return f"`{names[i]}`" if i < len(names) else f"number {i + 1}"
    for key in before.kwargs:
        if key not in may_change and not unchanged(before.kwargs[key], after.kwargs[key]):
            return f"`{key}`"
    return ""


# ----------------------------------------------------------------------------- comparing


def type_name(value: object) -> str:
    """How a learner would call a value's type: 'a torch tensor', 'a numpy array', 'a list'."""
    if hasattr(value, "detach") and hasattr(value, "dtype"):
        return "a torch tensor"
    if isinstance(value, np.ndarray):
        return "a numpy array"
    if isinstance(value, (bool, np.bool_)):
        return "a bool"
    if isinstance(value, (Real, np.number)):
        return "a number"
    return f"a {type(value).__name__}"


def dtype_name(value: object) -> str:
    """The dtype of a tensor or array, as it prints ('float32', 'int64', 'bool')."""
    return str(value.dtype).removeprefix("torch.")


def same_kind(got: object, expected: object) -> str:
    """'' when got has the type (and float precision) the reference has; else what differs.

    A torch tensor must stay a tensor and a numpy array an array (the next step needs that type),
    with the same dtype family and float width; a number may be any real number (Python's or
    numpy's), not a tensor or array; a list or tuple stays a sequence.
    """
    want, have = type_name(expected), type_name(got)
    if isinstance(expected, (list, tuple)):
        return "" if isinstance(got, (list, tuple)) else f"returned {have}; expected a list"
    if want in ("a number", "a bool"):
        ok = isinstance(got, (Real, np.number, np.bool_)) and not isinstance(got, np.ndarray)
        return "" if ok else f"returned {have}; expected {want} (a tensor's .item() gives one)"
    if want != have:
        return f"returned {have}; expected {want}"
    if want in ("a torch tensor", "a numpy array"):
        if dtype_family(got) != dtype_family(expected):
            return f"returned {have} of dtype {dtype_name(got)}; expected {dtype_name(expected)}"
    return ""


def dtype_family(value: object) -> str:
    """'bool', 'int' or 'float32'/'float64'/...: integer widths are one family, floats are not."""
    name = dtype_name(value)
    if name == "bool":
        return "bool"
    if name.startswith(("int", "uint")):
        return "int"
    return name


def as_array(value: object) -> np.ndarray:
    """A torch tensor, array, list or number as a float64 numpy array."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    if isinstance(value, (list, tuple)) and any(hasattr(v, "detach") for v in value):
        value = [v.detach().cpu().numpy() if hasattr(v, "detach") else v for v in value]
    return np.asarray(value, dtype=np.float64)


def compare_arrays(
    got: object, expected: object, atol: float = 1e-5, rtol: float = 1e-4, kind: bool = True
) -> str:
    """'' when equal within tolerance and of one type (unless kind=False); else what differs."""
    if kind and (problem := same_kind(got, expected)):
        return problem
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
    worst = f"the worst{at} is {got_a[index]:.6g}, expected {expected_a[index]:.6g}"
    return f"{int(bad.sum())} of {bad.size} values differ; {worst}"


def values_only(compare: Callable[[object, object], str]) -> Callable[[object, object], str]:
    """A comparison that ignores the type: to compare two of the checker's own answers, and the
    learner's answer with a typical mistake's (a wrong type must not hide the mistake's name).

    The one documented way: a comparison that checks the type takes a keyword `kind` (True by
    default) and skips that check when kind=False, as `compare_arrays` and `with_reason` do; it
    then gets kind=False. A comparison without `kind` is kept where the two types agree, or
    where an answer is no array of numbers (a module, a record); where two arrays or numbers
    differ in type, their values are compared by `compare_arrays(..., kind=False)`.
    """
    if takes_kind(compare):
        return functools.partial(compare, kind=False)

    def values(got: object, expected: object) -> str:
        if not same_kind(got, expected):
            return compare(got, expected)
        try:
            as_array(got), as_array(expected)
        except (TypeError, ValueError):
            return compare(got, expected)
        return compare_arrays(got, expected, kind=False)

    return values


def takes_kind(compare: Callable) -> bool:
    """Whether a comparison takes the keyword `kind` (whether to check the type)."""
    try:
        return "kind" in inspect.signature(compare).parameters
    except (TypeError, ValueError):
        return False


def with_reason(reason: str, compare: Callable = compare_arrays) -> Callable[..., str]:
    """`compare` (compare_arrays by default) whose type message says why the next step needs it.

    E.g. with_reason("the loss below needs a torch tensor"): "returned a numpy array; expected a
    torch tensor: the loss below needs a torch tensor". Takes `kind`, like compare_arrays.
    """

    def run(got: object, expected: object, kind: bool = True) -> str:
        if kind and (problem := same_kind(got, expected)):
            return f"{problem}: {reason}"
        return values_only(compare)(got, expected)

    return run


@dataclass(frozen=True)
class Exercise:
    """One exercise, described: the function it rebuilds, its inputs and its typical mistakes.

    `reference` is the library function the learner rebuilds, with the same signature;
    `cases` a list of inputs, or a function that makes them (when they are costly to build);
    `may_change` the arguments the learner's function is meant to change in place.
    """

    title: str
    reference: Callable
    cases: Sequence[Case] | Callable[[], Sequence[Case]]
    mistakes: Sequence[Mistake] = ()
    compare: Callable[[object, object], str] = compare_arrays
    hint: str = ""
    may_change: Sequence[int | str] = ()

    def inputs(self) -> list[Case]:
        """The cases to try, built now if they are built on demand."""
        return list(self.cases() if callable(self.cases) else self.cases)

    def check(self, learner: Callable, timeout: float = TIMEOUT_S) -> Verdict:
        """The verdict on the learner's function (see `check`)."""
        return check(
            self.title, learner, self.reference, self.inputs(), self.mistakes, self.compare,
            self.hint, timeout, self.may_change,
        )  # fmt: skip


# ----------------------------------------------------------------------------- mistakes


def answer(fn: Callable, case: Case) -> tuple[bool, object]:
    """(True, fn's answer on a fresh copy of the case), or (False, None) when fn cannot run it."""
    try:
        copied = fresh(case)
        return True, fn(*copied.args, **copied.kwargs)
    except Exception:
        return False, None


def fits(mistake: Mistake, answers: Sequence[tuple[Case, object, bool]], compare: Callable) -> bool:
    """Whether the learner's answers equal the mistake's on every input where either could tell.

    `answers` holds (case, the learner's answer, whether it was right). An input on which the
    mistake cannot run tells nothing when the learner was right there, and rules it out otherwise.
    """
    for case, got, right in answers:
        ran, wrong_answer = answer(mistake.fn, case)
        if not ran:
            if right:
                continue
            return False
        if compare(got, wrong_answer):
            return False
    return True


def recognise(
    mistakes: Sequence[Mistake], answers: Sequence[tuple[Case, object, bool]], compare: Callable
) -> list[Mistake]:
    """Every typical mistake whose answers equal the learner's on all the inputs tried."""
    wrong_first = sorted(answers, key=lambda item: item[2])  # a misfit shows soonest there
    return [m for m in mistakes if fits(m, wrong_first, values_only(compare))]


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
    may_change: Sequence[int | str] = (),
) -> Verdict:
    """Try the learner's function on every case against the reference; one verdict.

    `may_change` lists the arguments (positions or names) the function is meant to change in
    place, such as a model it trains; any other changed argument is named in the verdict.
    """
    with capped_prints():
        answers = try_cases(title, learner, reference, cases, compare, timeout, may_change)
    if isinstance(answers, Verdict):
        return answers
    wrong_ones = [(case, problem) for case, _, problem in answers if problem]
    if not wrong_ones:
        names = ", ".join(case.name for case in cases)
        return Verdict("passed", f"{title}: passed on {len(cases)} inputs ({names}).")
    seen = [(case, got, not problem) for case, got, problem in answers]
    found = recognise(mistakes, seen, compare)
    return wrong(title, *wrong_ones[0], found, hint, len(wrong_ones), len(answers))


def try_cases(
    title: str,
    learner: Callable,
    reference: Callable,
    cases: Sequence[Case],
    compare: Callable[[object, object], str],
    timeout: float,
    may_change: Sequence[int | str],
) -> list[tuple[Case, object, str]] | Verdict:
    """(case, the learner's answer, what differs or '') for every case; or the verdict that
    ends the check early: not implemented, an exception, a hang, a changed input, no return."""
    answers = []
    for case in cases:
        given = fresh(case)
        try:
            got = call_with_timeout(learner, given, timeout)
        except NotImplementedError:
            return Verdict("not implemented", f"{title}: not implemented yet.")
        except Stopped:
            return Verdict("timeout", f"{title}: stopped after {timeout:g} s on {case.name}: "
                           "does it loop forever, or loop in Python over every pixel?")  # fmt: skip
        except (SystemExit, KeyboardInterrupt) as error:
            return Verdict("error", f"{title}: on {case.name}, your code {escaped(error)}")
        except Exception as error:
            return Verdict("error", f"{title}: on {case.name}, your code raised "
                           f"{one_line(error)}{where(error)}")  # fmt: skip
        changed = changed_argument(learner, case, given, may_change)
        if changed:
            return Verdict("wrong", f"{title}: on {case.name}, your function changed its "
                           f"argument {changed} in place; work on a copy (or build a new "
                           "value) so that the caller's data stays as it was.")  # fmt: skip
        untouched = fresh(case)
        expected = reference(*untouched.args, **untouched.kwargs)
        if got is None and expected is not None:
            return Verdict("wrong", f"{title}: on {case.name}, your function returned None: "
                           "is a `return` missing?")  # fmt: skip
        answers.append((case, got, compare(got, expected)))
    return answers


def wrong(
    title: str,
    case: Case,
    problem: str,
    found: Sequence[Mistake],
    hint: str,
    n_wrong: int = 1,
    n_cases: int = 1,
) -> Verdict:
    """The verdict for a wrong answer: what differs, and the mistakes that fit it, if any."""
    others = f" ({n_wrong} of {n_cases} inputs wrong)" if n_wrong > 1 else ""
    if len(found) == 1:
        advice = f" Likely mistake: {found[0].name}. Hint: {found[0].hint}"
    elif found:
        names = " or ".join(m.name for m in found)
        hints = " / ".join(m.hint for m in found)
        advice = f" Likely mistake: {names} (they give the same answers here). Hints: {hints}"
    else:
        advice = f" Hint: {hint}" if hint else ""
    message = f"{title}: wrong on {case.name}: {problem}{others}.{advice}"
    names = tuple(m.name for m in found)
    return Verdict("wrong", message, names[0] if names else None, names[1:])
