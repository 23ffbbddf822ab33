"""SIAMFC_EDU_QUICK=1 means one thing in the tests: `-m "not slow"` when no -m is given."""

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
ROOT_CONFTEST = Path(__file__).resolve().parent.parent / "conftest.py"

SUITE = """
import pytest

def test_fast():
    pass

@pytest.mark.slow
def test_long():
    pass
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    """A two-test suite under the project's quick-mode hook."""
    pytester.makeconftest(
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('root', {str(ROOT_CONFTEST)!r})\n"
        "project = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(project)\n"
        "pytest_configure = project.pytest_configure\n"
    )
    pytester.makeini("[pytest]\nmarkers =\n    slow: long\n")
    pytester.makepyfile(SUITE)
    return pytester


@pytest.mark.parametrize(
    ("quick", "args", "outcome"),
    [
        ("1", [], {"passed": 1, "deselected": 1}),
        ("0", [], {"passed": 2}),
        ("", [], {"passed": 2}),
        ("1", ["-m", "slow"], {"passed": 1, "deselected": 1}),
    ],
)
def test_quick_mode_leaves_out_only_the_slow_tests(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, quick: str, args: list, outcome: dict
) -> None:
    monkeypatch.setenv("SIAMFC_EDU_QUICK", quick)
    suite.runpytest("-p", "no:cacheprovider", *args).assert_outcomes(**outcome)
