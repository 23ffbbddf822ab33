"""Quick mode for the tests: SIAMFC_EDU_QUICK=1 skips the tests marked `slow` (the root conftest
uses this hook). CI runs the quick suite and then `pytest -m slow tests`, so every test runs there.
"""

import pytest

from siamfc_edu.config import quick_mode


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In quick mode, skip the slow tests, unless a -m expression chose the tests to run."""
    if not quick_mode() or config.getoption("markexpr"):
        return
    skip = pytest.mark.skip(
        reason="slow: skipped in quick mode (SIAMFC_EDU_QUICK=1); run pytest -m slow"
    )
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
