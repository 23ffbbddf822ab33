"""SIAMFC_EDU_QUICK=1 means something in the tests: the slow ones skip, and -m slow runs them."""

import pytest

pytest_plugins = ["pytester"]

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
    pytester.makeconftest("from tests.quick_mode import pytest_collection_modifyitems\n")
    pytester.makeini("[pytest]\nmarkers =\n    slow: long\n")
    pytester.makepyfile(SUITE)
    return pytester


@pytest.mark.parametrize(
    ("quick", "args", "outcome"),
    [
        ("1", [], {"passed": 1, "skipped": 1}),
        ("0", [], {"passed": 2}),
        ("", [], {"passed": 2}),
        ("1", ["-m", "slow"], {"passed": 1, "deselected": 1}),
    ],
)
def test_quick_mode_skips_only_the_slow_tests(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, quick: str, args: list, outcome: dict
) -> None:
    monkeypatch.setenv("SIAMFC_EDU_QUICK", quick)
    suite.runpytest("-p", "no:cacheprovider", *args).assert_outcomes(**outcome)
