"""The real browser both browser tests drive: Debian's chromium through the playwright package.

Playwright's own browser download is unreachable here, so it launches /usr/bin/chromium
(`apt-get install -y chromium`, as .ci/run does). The `chromium` fixture of tests/conftest.py
starts it once per test module; `why_no_browser` says why a machine cannot, so a test skips.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")


def why_no_browser() -> str | None:
    """Why this machine cannot drive chromium, or None."""
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} is absent (CI installs it: apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        return f"the playwright package is not importable ({error}; CI: pip install playwright)"
    return None


@contextmanager
def launched() -> Iterator[object]:
    """Chromium, headless and without the sandbox (CI runs as root), closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()
