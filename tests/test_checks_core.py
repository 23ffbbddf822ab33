"""The checks' core (siamfc_edu.checks): verdicts a learner can trust, on a toy exercise.

A right answer passes; unfinished work, an exception, sys.exit, a hang, a missing return, an
input changed in place and the wrong type each get their own one-line verdict; a mistake is
named only when it explains every answer; grading mode raises on anything but "passed".
"""

import sys
import time

import numpy as np
import pytest
import torch

from siamfc_edu.checks import (
    GRADING,
    PRINT_LIMIT,
    Case,
    Mistake,
    Verdict,
    check,
    compare_arrays,
    graded,
    same_kind,
    with_reason,
)


def reference(x):
    return np.cumsum(x)


CASES = [
    Case("a short list", (np.array([1.0, 2.0, 3.0]),)),
    Case("one value", (np.array([5.0]),)),
    Case("with a zero", (np.array([0.0, 4.0]),)),
]
MISTAKES = [
    Mistake("summing from the right", "begin at the first", lambda x: np.cumsum(x[::-1])[::-1]),
    Mistake("the running mean", "add", lambda x: np.cumsum(x) / (1 + np.arange(len(x)))),
]  # fmt: skip


def run(learner, **kwargs):
    return check("cumulative sum", learner, reference, CASES, MISTAKES, **kwargs)


def test_a_right_answer_passes():
    verdict = run(lambda x: np.add.accumulate(x))
    assert verdict.passed and "passed on 3 inputs (a short list, one value, with" in verdict.message


def test_unfinished_work_says_not_implemented():
    def learner(x):
        raise NotImplementedError("hint")

    verdict = run(learner)
    assert verdict.status == "not implemented" and "not implemented yet" in verdict.message


def test_the_learners_exception_is_one_line_with_its_line():
    def learner(x):
        values = list(x)
        return values[10]

    verdict = run(learner)
    assert verdict.status == "error" and "\n" not in verdict.message
    assert "IndexError" in verdict.message and "return values[10]" in verdict.message


@pytest.mark.parametrize("error, words", [(SystemExit(1), "sys.exit(1)"),
                                          (KeyboardInterrupt(), "KeyboardInterrupt")])  # fmt: skip
def test_sys_exit_and_keyboard_interrupt_do_not_escape(error, words):
    def learner(x):
        raise error

    verdict = run(learner)
    assert verdict.status == "error" and words in verdict.message


def test_a_missing_return_is_named():
    verdict = run(lambda x: print("done"))
    assert verdict.status == "wrong" and "returned None" in verdict.message


def test_megabytes_of_prints_are_cut(capsys):
    def learner(x):
        print("x" * 3_000_000)
        return np.cumsum(x)

    verdict = run(learner)
    shown = capsys.readouterr().out
    assert verdict.passed and len(shown) < 3 * PRINT_LIMIT and "more characters" in shown


def test_a_changed_input_is_named_with_its_argument():
    def learner(values):
        result = np.cumsum(values)
        values[0] = -1  # spoils the caller's array
        return result

    verdict = run(learner)
    assert verdict.status == "wrong" and "argument `values` in place" in verdict.message


def test_an_argument_meant_to_change_may_change():
    def learner(values):
        result = np.cumsum(values)
        values[:] = 0
        return result

    assert run(learner, may_change=(0,)).passed
    assert not run(learner).passed


@pytest.mark.parametrize(
    "got, expected, words",
    [
        (np.zeros(3), torch.zeros(3), "returned a numpy array; expected a torch tensor"),
        (torch.zeros(3), np.zeros(3), "returned a torch tensor; expected a numpy array"),
        ([0.0, 0.0], np.zeros(2), "returned a list; expected a numpy array"),
        (torch.zeros(3, dtype=torch.float64), torch.zeros(3), "dtype float64; expected float32"),
        (torch.tensor(0.5), 0.5, "returned a torch tensor; expected a number"),
    ],
)
def test_the_type_the_next_step_needs_is_enforced(got, expected, words):
    assert words in same_kind(got, expected)


def test_numbers_of_any_kind_and_integer_widths_are_one_type():
    assert same_kind(np.float32(0.5), 0.5) == "" and same_kind(3, 2.0) == ""
    assert same_kind(np.zeros(2, np.int32), np.zeros(2, np.int64)) == ""


def test_a_typical_mistake_is_named():
    verdict = run(lambda x: np.cumsum(x[::-1])[::-1])
    assert verdict.mistakes == ("summing from the right",)
    assert "Likely mistake: summing from the right" in verdict.message


def compare_without_kind(got, expected):
    """A chapter's own comparison that checks the type itself and takes no `kind`."""
    if problem := same_kind(got, expected):
        return f"{problem}: the plot below needs one"
    return compare_arrays(got, expected)


@pytest.mark.parametrize(
    "compare, answer, words",
    [
        (with_reason("the plot below needs one"), list, "returned a list; expected a numpy array"),
        (compare_without_kind, torch.from_numpy, "returned a torch tensor; expected a numpy array"),
    ],
    ids=["with_reason", "a compare without kind"],
)
def test_a_wrong_type_with_a_mistakes_values_gets_the_type_message_and_the_name(
    compare, answer, words
):
    verdict = run(lambda x: answer(np.cumsum(x[::-1])[::-1].copy()), compare=compare)
    assert verdict.status == "wrong", verdict.message
    assert f"{words}: the plot below needs one" in verdict.message
    assert verdict.mistakes == ("summing from the right",), verdict.message
    assert "Likely mistake: summing from the right" in verdict.message


def test_a_mistake_is_named_only_when_it_explains_every_answer():
    def learner(x):  # from the right on long inputs, but right on two values: another bug
        return np.cumsum(x[::-1])[::-1] if len(x) > 2 else np.cumsum(x)

    verdict = run(learner)
    assert verdict.status == "wrong" and verdict.mistakes == () and "Likely" not in verdict.message


def test_two_mistakes_that_fit_are_both_named():
    twin = Mistake("the reversed running sum", "start at the first value",
                   lambda x: np.flip(np.cumsum(np.flip(x))))  # fmt: skip
    verdict = check("cumulative sum", lambda x: np.cumsum(x[::-1])[::-1], reference, CASES,
                    [*MISTAKES, twin])  # fmt: skip
    assert verdict.mistakes == ("summing from the right", "the reversed running sum")
    assert "summing from the right or the reversed running sum" in verdict.message


def test_a_wrong_value_is_located_and_the_wrong_inputs_counted():
    verdict = run(lambda x: np.cumsum(x) + (np.arange(len(x)) == 2))
    assert "at index (2,)" in verdict.message and "expected 6" in verdict.message


def test_a_function_that_hangs_is_stopped():
    def learner(x):
        while True:
            time.sleep(0.01)

    start = time.perf_counter()
    verdict = run(learner, timeout=0.3)
    assert verdict.status == "timeout" and "stopped after 0.3 s" in verdict.message
    assert time.perf_counter() - start < 5


def test_grading_mode_raises_with_the_same_message(monkeypatch):
    @graded
    def check_cumsum(fn):
        return run(fn)

    monkeypatch.delenv(GRADING, raising=False)
    assert check_cumsum(lambda x: x).status == "wrong"  # printing mode: a verdict
    monkeypatch.setenv(GRADING, "1")
    assert check_cumsum(np.cumsum).passed
    with pytest.raises(AssertionError, match="cumulative sum: wrong on a short list"):
        check_cumsum(lambda x: x)


def test_only_the_outermost_graded_check_raises(monkeypatch):
    inner = graded(lambda fn: run(fn))

    @graded
    def outer(fn):
        verdict = inner(fn)  # a sub-check's verdict is the outer check's to judge
        return Verdict("passed", "fine") if verdict.status == "wrong" else verdict

    monkeypatch.setenv(GRADING, "1")
    assert outer(lambda x: x).passed


def test_the_verdict_breaks_lines_between_words_and_escapes_html():
    html = Verdict("wrong", "a <b> & c")._repr_html_()
    assert "white-space:pre-wrap" in html and "word-break:normal" in html
    assert "a &lt;b&gt; &amp; c" in html


def test_the_learners_prints_still_show(capsys):
    def learner(x):
        print("debugging", len(x), file=sys.stdout)
        return np.cumsum(x)

    assert run(learner).passed and "debugging 3" in capsys.readouterr().out
