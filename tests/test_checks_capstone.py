"""The checks of the capstone (notebook 10, your tracker): the library's pieces give the reference
AUC exactly, a planted mistake a lower one with its drift named, the solution's pieces pass;
unfinished, failing, misshapen or slow pieces are named in one line and nothing is tracked; the
loss check passes the library and the solution and names each typical mistake."""

import dataclasses
import inspect
from pathlib import Path

import cv2
import jupytext
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from siamfc_edu.checks import capstone
from siamfc_edu.checks.losses import LABEL_MISTAKES, LOSS_MISTAKES, WEIGHT_MISTAKES
from siamfc_edu.crops import crop_and_resize
from siamfc_edu.data import read_real_set
from siamfc_edu.evaluate import evaluate_multistart, summarize
from siamfc_edu.losses import logistic_labels, logistic_loss
from siamfc_edu.tracker import (
    Pieces,
    SiamFCTracker,
    apply_window,
    damped_scale,
    displacement,
    upsample,
)
from tests.exercise_registry import solution_namespace

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solutions" / "10_capstone_your_tracker.py"
QUICK = {"starts": 2, "frames": 40}  # the quick mode's runs, whatever SIAMFC_EDU_QUICK says


def own(fn):
    """The same function as another object: a learner's piece that is exactly right."""
    return lambda *args, **kwargs: fn(*args, **kwargs)


def unnormalised(score_map):
    """A planted mistake: the raw map, not normalised, so the window (5e-5 a cell) does nothing."""
    return score_map


def bilinear(maps, size):
    """A planted mistake: bilinear instead of bicubic upsampling."""
    return np.stack([cv2.resize(m, (size, size), interpolation=cv2.INTER_LINEAR) for m in maps])


def unfinished(*args, **kwargs):
    raise NotImplementedError("write this part")


@pytest.fixture(scope="module")
def solution() -> dict:
    """The solution notebook's functions and pieces: every code cell but the capstone's checks."""
    namespace: dict = {}
    for cell in jupytext.read(SOLUTION).cells:
        if cell.cell_type == "code" and "checks.capstone" not in cell.source:
            exec(cell.source, namespace)
    return namespace


@pytest.fixture(scope="module")
def same_pieces() -> capstone.CapstoneResult:
    """The library's own functions, as other objects, swapped in: the quick runs."""
    pieces = Pieces(**{f.name: own(getattr(Pieces(), f.name)) for f in dataclasses.fields(Pieces)})
    return capstone.compare_trackers(pieces, **QUICK)


@pytest.fixture(scope="module")
def carphone():
    return next(s for s in read_real_set() if s.name == "carphone_face")


# ----------------------------------------------------------------------------- the tracker


def test_the_library_pieces_give_the_reference_auc_exactly(same_pieces):
    result = same_pieces
    assert result.tracked and len(result.runs) == 6
    assert result.your_auc == result.reference_auc
    for run in result.runs:
        np.testing.assert_array_equal(run.yours, run.reference)
    verdict = capstone.check_your_tracker(result)
    assert verdict.passed, verdict.message
    assert f"your tracker's AUC {result.reference_auc:.3f} equals the reference's" in (
        verdict.message
    )
    assert "reference" in result.table() and "yours" in result.table()


def test_the_solution_pieces_pass(solution, same_pieces):
    result = capstone.compare_trackers(solution["my_pieces"], **QUICK)
    verdict = capstone.check_your_tracker(result)
    assert verdict.passed, verdict.message
    assert result.your_auc == pytest.approx(same_pieces.reference_auc, abs=capstone.AUC_TOLERANCE)


def test_a_planted_mistake_gives_a_lower_auc_and_the_verdict_names_the_drift(same_pieces):
    result = capstone.compare_trackers(Pieces(normalise=unnormalised), **QUICK)
    assert result.reference_auc == same_pieces.reference_auc
    assert result.your_auc < result.reference_auc - 0.005
    verdict = capstone.check_your_tracker(result)
    assert verdict.status == "wrong" and "\n" not in verdict.message
    assert f"your AUC {result.your_auc:.3f} vs the reference's {result.reference_auc:.3f}" in (
        verdict.message
    )
    assert "it first drifts at bikes_parked_bicycle frame 197 (IoU with the reference's box" in (
        verdict.message
    )
    assert verdict.mistake == "normalise" and "your normalise (the normalisation to sum 1)" in (
        verdict.message
    )


def test_a_subtle_mistake_is_caught_even_where_its_auc_is_not_lower():
    """Bilinear upsampling scores 0.001 ABOVE the reference on the quick runs: the boxes tell."""
    result = capstone.compare_trackers(Pieces(upsample=bilinear), **QUICK)
    verdict = capstone.check_your_tracker(result)
    assert verdict.status == "wrong" and verdict.mistake == "upsample", verdict.message
    assert "it first leaves the reference at bigbuckbunny_rabbit frame 2" in verdict.message


@pytest.mark.slow  # end to end; quick mode skips it, `pytest -m slow` runs it
def test_the_runs_are_scored_as_evaluate_multistart_scores_them(carphone):
    result = capstone.compare_trackers(Pieces(), sequences=[carphone], starts=2, frames=None)
    tracker = SiamFCTracker.from_weights(device="cpu")
    expected = summarize(evaluate_multistart(tracker, [carphone], starts=2))[0]
    assert result.reference_auc == expected.auc and result.your_auc == expected.auc
    assert [(r.start, r.stop) for r in result.runs] == [(0, 120), (60, 120)]


def test_the_figure_shows_both_trackers(same_pieces):
    import matplotlib.pyplot as plt

    fig = capstone.plot_both_trackers(same_pieces)
    assert len(fig.axes) == 2 and "the reference (blue), yours (red)" in fig.axes[0].get_title()
    plt.close(fig)


# ----------------------------------------------------------------------------- before tracking


def test_unfinished_pieces_are_named_and_nothing_is_tracked(capsys):
    result = capstone.compare_trackers(Pieces(upsample=unfinished, damp=unfinished), **QUICK)
    verdict = capstone.check_your_tracker(result)
    assert verdict.status == "not implemented"
    assert verdict.message == (
        "your tracker: not implemented yet: upsample (unfinished), damp (unfinished). "
        "Nothing was tracked."
    )
    assert not result.runs and result.your_auc is None
    assert result.table().startswith("nothing tracked yet (not implemented)")
    assert capstone.plot_both_trackers(result) is None
    assert "nothing to draw yet (not implemented)" in capsys.readouterr().out


def test_the_solution_puts_its_functions_into_pieces_with_no_adapters(solution):
    """Each of the learner's functions has the library's signature: it is the piece itself."""
    pieces = solution["my_pieces"]
    slots = {"crop": "crop_and_resize", "correlate": "cross_correlation", "upsample": "upsample",
             "penalise": "penalise", "normalise": "normalise", "window": "apply_window",
             "displacement": "displacement", "damp": "damped_scale"}  # fmt: skip
    assert set(slots) == {f.name for f in dataclasses.fields(Pieces)}  # every piece is yours
    for slot, name in slots.items():
        assert getattr(pieces, slot) is solution[name], slot
        library = getattr(Pieces(), slot)
        assert list(inspect.signature(solution[name]).parameters) == list(
            inspect.signature(library).parameters
        ), slot


def test_the_crop_of_notebook_04_is_the_crop_piece_as_it_is(solution):
    """Notebook 04's crop_and_resize and the capstone's have the library's names, order and
    defaults: each goes into Pieces(crop=...) with no adapter, and the tracker's call takes it."""
    library = [(p.name, p.default) for p in inspect.signature(crop_and_resize).parameters.values()]
    chapter_04 = solution_namespace("04_training_pairs")["crop_and_resize"]
    for crop in (solution["crop_and_resize"], chapter_04):
        assert crop is not crop_and_resize
        mine = [(p.name, p.default) for p in inspect.signature(crop).parameters.values()]
        assert mine == library
        problem, _ = capstone.check_pieces(Pieces(crop=crop))
        assert problem is None, problem.message


def test_the_solution_notebooks_stubs_say_which_functions_are_unfinished(solution):
    stubbed = dict(solution)
    for name in ("crop_and_resize", "upsample"):
        stubbed[name] = unfinished
    for cell in jupytext.read(SOLUTION).cells:  # the pieces again, now the stubs
        if "my_pieces = Pieces(" in cell.source:
            exec(cell.source, stubbed)
    verdict = capstone.check_your_tracker(stubbed["my_pieces"])
    assert verdict.status == "not implemented"
    assert "not implemented yet: crop (unfinished), upsample (unfinished)." in verdict.message


def test_the_learners_exception_is_one_line_with_its_line():
    def upsample_maps(maps, size):
        resized = [cv2.resize(m, (size, size)) for m in maps]
        return np.stack(resized)[len(maps)]

    verdict = capstone.check_your_tracker(Pieces(upsample=upsample_maps))
    assert verdict.status == "error" and "\n" not in verdict.message
    assert "your upsample piece (the bicubic upsampling) raised IndexError" in verdict.message
    assert "return np.stack(resized)[len(maps)]" in verdict.message


def test_a_piece_of_the_wrong_shape_is_named():
    def flat_crop(image, center, side, out_size, pad_color):
        return crop_and_resize(image, center, side, out_size, pad_color)[..., 0]

    verdict = capstone.check_your_tracker(Pieces(crop=flat_crop))
    assert verdict.status == "wrong"
    assert "your crop piece (the crop with mean padding) answers an array of shape (255, 255)" in (
        verdict.message
    )
    assert "the tracker needs an array of shape (255, 255, 3)" in verdict.message


@pytest.mark.parametrize("kind", ["a list", "a torch tensor"])
def test_upsampled_maps_of_another_type_are_refused_saying_why(kind):
    def upsample_(maps, size):
        up = upsample(maps, size)
        return list(up) if kind == "a list" else torch.from_numpy(up)

    verdict = capstone.check_your_tracker(Pieces(upsample=upsample_))
    assert verdict.status == "wrong" and "Nothing was tracked" in verdict.message
    assert f"your upsample piece (the bicubic upsampling) answers {kind}; expected a numpy " in (
        verdict.message
    )
    assert "the tracker reshapes the maps" in verdict.message


def test_numbers_of_another_type_are_fine_and_a_missing_return_is_named():
    def damp(scale, factor, cfg):  # a numpy float, and a list for the displacement: both fine
        return np.float64(damped_scale(scale, factor, cfg))

    def moves(row, col, side, cfg):
        return tuple(list(d) for d in displacement(row, col, side, cfg))

    assert capstone.check_pieces(Pieces(damp=damp, displacement=moves))[0] is None

    def window(score_map, window, influence):
        apply_window(score_map, window, influence)

    verdict = capstone.check_your_tracker(Pieces(window=window))
    assert verdict.status == "wrong"
    assert "your window piece (the cosine window) answers None (is the `return` missing?)" in (
        verdict.message
    )


def test_slow_pieces_are_reported_before_tracking(monkeypatch):
    monkeypatch.setattr(capstone, "SLOW_TOTAL_S", 1e-6)
    result = capstone.compare_trackers(Pieces(), **QUICK)
    assert result.problem.status == "timeout" and not result.runs
    assert "s per frame: the 235 frames would take" in result.problem.message


def test_an_error_during_tracking_names_the_run(carphone):
    calls = []

    def damp(scale, factor, cfg):
        calls.append(scale)
        if len(calls) > 3:
            raise ZeroDivisionError("division by zero")
        return damped_scale(scale, factor, cfg)

    result = capstone.compare_trackers(Pieces(damp=damp), sequences=[carphone], starts=1,
                                       frames=10)  # fmt: skip
    verdict = capstone.check_your_tracker(result)
    assert verdict.status == "error" and "\n" not in verdict.message
    assert verdict.message.startswith("your tracker: tracking carphone_face from frame 0, your "
                                      "code raised ZeroDivisionError")  # fmt: skip
    assert 'raise ZeroDivisionError("division by zero")' in verdict.message


def test_not_pieces_is_a_clear_error():
    verdict = capstone.check_your_tracker({"upsample": bilinear})
    assert verdict.status == "error" and "Pieces(crop=..., ...), got dict" in verdict.message


# ----------------------------------------------------------------------------- the loss


def loss_with_weights(weights):
    """A learner's logistic_loss whose balance weights make a mistake."""

    def loss(scores, labels):
        y = labels.expand_as(scores)
        return (weights(y) * F.softplus(-y * scores)).sum(dim=(-2, -1)).mean()

    return loss


def learner_making(name: str):
    """(label_map, logistic_loss) of a learner who makes the mistake named `name`."""
    where, what = name[len("in ") :].split(": ", 1)
    if where == "label_map":
        return next(m.fn for m in LABEL_MISTAKES if m.name == what), logistic_loss
    if where == "balance_weights":
        return logistic_labels, loss_with_weights(
            next(m.fn for m in WEIGHT_MISTAKES if m.name == what)
        )
    return logistic_labels, next(m.fn for m in LOSS_MISTAKES if m.name == what)


def test_the_library_loss_passes():
    verdict = capstone.check_your_loss(logistic_labels, logistic_loss)
    assert verdict.passed and "passed on 4 inputs" in verdict.message


def test_the_solution_loss_passes(solution):
    verdict = capstone.check_your_loss(solution["label_map"], solution["logistic_loss"])
    assert verdict.passed, verdict.message


def test_there_are_typical_mistakes_of_each_function():
    names = [m.name for m in capstone.YOUR_LOSS_MISTAKES]
    for where in ("label_map", "balance_weights", "logistic_loss"):
        assert sum(n.startswith(f"in {where}: ") for n in names) >= 2
    assert len(names) == len(set(names)) >= 9


@pytest.mark.parametrize(
    "mistake", capstone.YOUR_LOSS_MISTAKES, ids=[m.name for m in capstone.YOUR_LOSS_MISTAKES]
)
def test_each_typical_loss_mistake_is_named(mistake):
    label_map, loss = learner_making(mistake.name)
    verdict = capstone.check_your_loss(label_map, loss)
    assert verdict.status == "wrong"
    assert verdict.mistake == mistake.name, verdict.message
    assert f"Likely mistake: {mistake.name}. Hint: {mistake.hint}" in verdict.message


def test_a_loss_that_is_a_number_names_item():
    def loss_item(scores, labels):
        return logistic_loss(scores, labels).item()

    verdict = capstone.check_your_loss(logistic_labels, loss_item)
    assert verdict.status == "wrong" and "returned a number (.item() gives one)" in verdict.message
    assert "must stay a torch tensor: drop the .item()" in verdict.message


@pytest.mark.parametrize("cut", ["detach", "numpy"])
def test_a_loss_that_does_not_back_propagate_names_detach(cut):
    def loss_cut(scores, labels):
        if cut == "detach":
            return logistic_loss(scores.detach(), labels)
        return torch.tensor(logistic_loss(scores, labels).detach().numpy(), requires_grad=True)

    verdict = capstone.check_your_loss(logistic_labels, loss_cut)
    assert verdict.status == "wrong" and verdict.mistake is None
    assert "does not back-propagate to the scores: a .detach()" in verdict.message


def test_the_loss_check_raises_in_grading_mode(monkeypatch):
    monkeypatch.setenv("SIAMFC_EDU_GRADING", "1")
    with pytest.raises(AssertionError, match="your loss: wrong"):
        capstone.check_your_loss(
            logistic_labels, lambda scores, labels: -logistic_loss(scores, labels)
        )


def test_an_unfinished_loss_says_not_implemented():
    verdict = capstone.check_your_loss(unfinished, logistic_loss)
    assert verdict.status == "not implemented"
    assert verdict.message == "your loss: not implemented yet."


def test_the_learners_loss_exception_is_one_line_with_its_line():
    def logistic_loss_(scores, labels):
        weights = torch.ones(17, 17) / 289
        return (weights * F.softplus(-labels * scores)).sum(dim=(1, 2, 3, 4)).mean()

    verdict = capstone.check_your_loss(logistic_labels, logistic_loss_)
    assert verdict.status == "error" and "\n" not in verdict.message
    assert "IndexError" in verdict.message
    assert "(weights * F.softplus(-labels * scores)).sum(dim=(1, 2, 3, 4))" in verdict.message
