"""The one harness for every exercise check (the registry: tests/exercise_registry/).

Per exercise: the library's reference and the solution notebook's function pass; every named
mistake fails with its own name and no other; every right alternative passes; every realistic
wrong answer fails (naming the mistake it is, or none); the inputs tell every mistake apart from
the right answer and from every other mistake; a function that changes its input in place, or
forgets its `return`, is told so.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from siamfc_edu.checks import Case, fresh, values_only
from tests.exercise_registry import Entry, all_entries, solution

ENTRIES = all_entries()


def by_entry(entries: list[Entry]) -> dict:
    """pytest parameters: one per entry, named by it."""
    return {"argvalues": entries, "ids": [e.id for e in entries]}


def each(attribute: str) -> dict:
    """pytest parameters: one per (entry, item of the entry's list `attribute`)."""
    pairs = []
    for entry in ENTRIES:
        items = getattr(entry, attribute) if attribute != "mistakes" else entry.exercise.mistakes
        pairs += [(entry, item, f"{entry.id}:{i}") for i, item in enumerate(items)]
    return {"argvalues": [p[:2] for p in pairs], "ids": [p[2] for p in pairs]}


def differ(entry: Entry, a, b, case: Case) -> bool:
    """Whether two functions give different answers on a case (both must run)."""
    compare = values_only(entry.exercise.compare)
    try:
        one, two = fresh(case), fresh(case)
        return bool(compare(a(*one.args, **one.kwargs), b(*two.args, **two.kwargs)))
    except Exception:
        return False


def test_the_registry_covers_every_check_cell():
    from tests.exercise_registry import ROOT

    registered = {(e.notebook, e.checker.__name__) for e in ENTRIES}
    called = set()
    for path in sorted((ROOT / "solutions").glob("[0-9][0-9]_*.py")):
        for line in path.read_text().splitlines():
            name = line.split("(")[0].strip()
            if name.startswith("check_") and line.strip().endswith(")"):
                called.add((path.stem, name))
    called = {c for c in called if not c[0].startswith("10_")}  # the capstone: its own tests
    missing = called - registered
    assert not missing, f"check cells with no registry entry: {sorted(missing)}"


@pytest.mark.parametrize("entry", **by_entry(ENTRIES))
def test_the_reference_and_the_solution_pass(entry: Entry):
    verdict = entry.exercise.check(entry.exercise.reference)  # the checker may add rules of method
    assert verdict.passed, f"the library's reference fails its own check: {verdict.message}"
    verdict = entry.checker(solution(entry))
    assert verdict.passed, f"the solution notebook fails: {verdict.message}"


@pytest.mark.parametrize("entry, mistake", **each("mistakes"))
def test_a_named_mistake_fails_with_its_own_name(entry: Entry, mistake):
    verdict = entry.checker(mistake.fn)
    assert verdict.status == "wrong", verdict.message
    assert verdict.mistakes == (mistake.name,), verdict.message
    assert f"Likely mistake: {mistake.name}" in verdict.message


@pytest.mark.parametrize("entry, alternative", **each("alternatives"))
def test_a_right_alternative_passes(entry: Entry, alternative):
    verdict = entry.checker(alternative)
    assert verdict.passed, f"{alternative.__name__}: {verdict.message}"


@pytest.mark.parametrize("entry, wrong_answer", **each("wrong_answers"))
def test_a_realistic_wrong_answer_fails(entry: Entry, wrong_answer):
    fn, name = wrong_answer
    verdict = entry.checker(fn)
    assert not verdict.passed, f"{fn.__name__} passed: {verdict.message}"
    if name is None:
        assert not verdict.mistakes, f"{fn.__name__} named {verdict.mistakes}: {verdict.message}"
    else:
        assert name in verdict.mistakes, f"{fn.__name__}: {verdict.message}"


@pytest.mark.parametrize("entry", **by_entry(ENTRIES))
def test_the_inputs_tell_every_mistake_apart(entry: Entry):
    cases = entry.exercise.inputs()
    mistakes = entry.exercise.mistakes
    reference = entry.exercise.reference
    for mistake in mistakes:
        assert any(differ(entry, mistake.fn, reference, c) for c in cases), (
            f"no input tells '{mistake.name}' from the right answer"
        )
    for one, two in itertools.combinations(mistakes, 2):
        assert any(differ(entry, one.fn, two.fn, c) for c in cases), (
            f"no input tells '{one.name}' from '{two.name}'"
        )


def spoil(value) -> bool:
    """Change a tensor, array or list in place (True), or leave a value that cannot be (False)."""
    if isinstance(value, torch.Tensor) and value.numel() and not value.requires_grad:
        value.view(-1)[0] += 1
        return True
    if isinstance(value, np.ndarray) and value.size and value.flags.writeable:
        value.reshape(-1)[0] += 1
        return True
    if isinstance(value, list) and value:
        if not spoil(value[0]):
            value.append(value[0])
        return True
    return False


@pytest.mark.parametrize("entry", **by_entry(ENTRIES))
def test_a_changed_input_is_named(entry: Entry):
    right = solution(entry)
    allowed = set(entry.exercise.may_change)

    def changes_its_input(*args, **kwargs):
        result = right(*args, **kwargs)
        for i, value in enumerate(args):
            if i not in allowed and spoil(value):
                break
        return result

    if not any(isinstance(a, (torch.Tensor, np.ndarray, list)) for c in
               entry.exercise.inputs() for a in c.args):  # fmt: skip
        pytest.skip("no input of this exercise can be changed in place")
    verdict = entry.checker(changes_its_input)
    assert verdict.status == "wrong" and "in place" in verdict.message, verdict.message


@pytest.mark.parametrize("entry", **by_entry(ENTRIES))
def test_a_missing_return_is_named(entry: Entry):
    verdict = entry.checker(lambda *args, **kwargs: None)
    assert verdict.status == "wrong" and "None" in verdict.message, verdict.message
