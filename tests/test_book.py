"""The course book (book/): the built site, every page opened in a real browser.

The fast tests read book/_toc.yml: every chapter of notebooks/ in course order, then every
exercise statement. The slow ones build the site in quick mode into a temporary folder, with
the README's command (`jupyter-book build . --config book/_config.yml ...`, every chapter
executed, a failing cell fails the build), serve it on localhost and open every page in Debian's
chromium driven by playwright (tests/chromium.py, as tests/test_browser.py). Each page must:
- show its notebook's title;
- load nothing from outside the site (MathJax included: book/offline_assets.py);
- have no broken internal link (the target file, and the `#anchor` in it);
- show no Python traceback;
- a chapter: show at least one figure that the browser decoded and rendered math (MathJax's
  `mjx-container`), with no TeX left unrendered; a widget's place says how to use it.

`SIAMFC_EDU_BOOK=book/_build/html pytest tests/test_book.py` checks a site you built instead
(the full build, before publishing). Skipped where chromium, playwright or the book's MathJax
(`npm ci --prefix book`) is absent. Screenshots go to a temporary folder printed with `-s`.
"""

from __future__ import annotations

import functools
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from tests.chromium import why_no_browser

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
TOC = BOOK / "_toc.yml"
MATHJAX = BOOK / "node_modules" / "mathjax" / "es5" / "tex-chtml.js"
BUILD_COMMAND = [
    "build", ".", "--config", "book/_config.yml", "--toc", "book/_toc.yml", "--path-output",
]  # fmt: skip
BUILD_S = 3600  # quick mode: 22 min on the 2-core CPU shared with other jobs (load 6 to 11)
PAGE_S = 60
TRACEBACK = "Traceback (most recent call last)"
WIDGET_NOTE = "An interactive widget runs here"


def toc_files() -> list[str]:
    """The book's pages in order, as _toc.yml names them (without suffix)."""
    toc = yaml.safe_load(TOC.read_text(encoding="utf-8"))
    return [chapter["file"] for part in toc["parts"] for chapter in part["chapters"]]


def title_words(page: str) -> list[str]:
    """The notebook's title (its first markdown line) around its math: `$...$` becomes a glyph."""
    notebook = json.loads((ROOT / f"{page}.ipynb").read_text(encoding="utf-8"))
    first = next(cell for cell in notebook["cells"] if cell["cell_type"] == "markdown")
    title = "".join(first["source"]).splitlines()[0].removeprefix("# ")
    return [part.strip() for part in re.split(r"\$[^$]*\$", title) if part.strip()]


def widget_cells(page: str) -> int:
    """How many code cells of a notebook display one of the course's widgets."""
    notebook = json.loads((ROOT / f"{page}.ipynb").read_text(encoding="utf-8"))
    code = ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]
    return sum("display(" in source and ".widget)" in source for source in code)


def test_the_toc_lists_every_chapter_in_order_then_every_exercise() -> None:
    chapters = [f"notebooks/{p.stem}" for p in sorted((ROOT / "notebooks").glob("*.ipynb"))]
    exercises = [f"exercises/{p.stem}" for p in sorted((ROOT / "exercises").glob("*.ipynb"))]
    assert len(chapters) == 10
    assert toc_files() == chapters + exercises


def test_every_widget_of_a_chapter_is_counted() -> None:
    """The widget check below counts display(... .widget) cells: it must see the five explorers."""
    counts = {page: widget_cells(page) for page in toc_files() if page.startswith("notebooks/")}
    assert sum(counts.values()) == 5, counts


# ----------------------------------------------------------------------------- the built site


def why_skip() -> str | None:
    """Why this machine cannot check the built book, or None."""
    reason = why_no_browser()
    if reason:
        return reason
    if not os.environ.get("SIAMFC_EDU_BOOK") and not MATHJAX.is_file():
        return f"{MATHJAX} is absent: run `npm ci --prefix book` (as .ci/run does)"
    return None


def jupyter_book() -> str:
    """The jupyter-book command of this Python environment."""
    beside = Path(sys.executable).parent / "jupyter-book"
    found = str(beside) if beside.is_file() else shutil.which("jupyter-book")
    if found is None:
        pytest.skip('jupyter-book is not installed (pip install -e ".[book]")')
    return found


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built site: SIAMFC_EDU_BOOK's folder, or a quick build into a temporary folder."""
    reason = why_skip()
    if reason:
        pytest.skip(reason)
    given = os.environ.get("SIAMFC_EDU_BOOK")
    if given:
        folder = Path(given).resolve()
        assert (folder / "index.html").is_file(), f"no built book under {folder}"
        return folder
    out = tmp_path_factory.mktemp("book")
    build = subprocess.run(
        [jupyter_book(), *BUILD_COMMAND, str(out)],
        cwd=ROOT,
        env={**os.environ, "SIAMFC_EDU_QUICK": "1"},
        capture_output=True,
        text=True,
        timeout=BUILD_S,
    )
    assert build.returncode == 0, (build.stdout + build.stderr)[-6000:]
    return out / "_build" / "html"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    """The site on localhost (MathJax's web fonts are not loaded from file:// pages)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=site))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join()


@pytest.fixture(scope="module")
def screenshots() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="siamfc-book-"))
    print(f"\nbook screenshots: {folder}")
    return folder


def ids_in(page: Path) -> set[str]:
    """Every id="..." of a built HTML page."""
    return {html.unescape(m) for m in re.findall(r'\bid="([^"]+)"', page.read_text("utf-8"))}


def broken_links(site: Path, base: str, hrefs: list[str]) -> list[str]:
    """The internal links whose file, or whose #anchor in that file, the site does not have."""
    broken = []
    for href in sorted(set(hrefs)):
        if not href.startswith(base + "/"):
            continue  # another site (the paper, GitHub): not checked here
        parts = urlsplit(href)
        target = site / unquote(parts.path).lstrip("/")
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            broken.append(href)
        elif parts.fragment and target.suffix == ".html":
            if unquote(parts.fragment) not in ids_in(target):
                broken.append(href)
    return broken


# a page's facts, gathered in the browser once MathJax has typeset it
FACTS = """() => ({
  title: (document.querySelector("main h1") || {}).textContent || "",
  text: document.body.innerText,
  hrefs: [...document.querySelectorAll("a[href]")].map(a => a.href),
  figures: [...document.querySelectorAll(".cell_output img")]
      .filter(img => img.complete && img.naturalWidth > 0).length,
  math: document.querySelectorAll("mjx-container").length,
  rawMath: [...document.querySelectorAll(".math")]
      .filter(el => !el.querySelector("mjx-container")).map(el => el.textContent),
  errors: document.querySelectorAll(".output.traceback, .output.error").length,
  widgetNotes: [...document.querySelectorAll(".widget-note")].length,
  widgetScripts: document.querySelectorAll(
      'script[type="application/vnd.jupyter.widget-view+json"]').length,
})"""


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("page", toc_files())
def test_every_page_renders(
    page: str, site: Path, server: str, chromium: object, screenshots: Path
) -> None:
    outside: list[str] = []
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.route(
        re.compile(r"^(?!" + re.escape(server) + r"/).*"),
        lambda route: (outside.append(route.request.url), route.abort()),
    )
    tab = context.new_page()
    try:
        tab.goto(f"{server}/{page}.html", wait_until="load", timeout=PAGE_S * 1000)
        if tab.locator("script[src*='mathjax']").count():  # Sphinx adds it where there is math
            tab.wait_for_function("() => window.MathJax?.startup?.promise", timeout=PAGE_S * 1000)
            tab.evaluate("() => MathJax.startup.promise")
        facts = tab.evaluate(FACTS)
        tab.screenshot(path=str(screenshots / f"{page.replace('/', '_')}.png"))
    finally:
        context.close()

    shown = " ".join(facts["title"].split())
    assert re.search(".+".join(map(re.escape, title_words(page))), shown), shown
    assert facts["rawMath"] == [], f"TeX left unrendered: {facts['rawMath'][:3]}"
    assert outside == [], f"loaded from outside the site: {outside}"
    assert broken_links(site, server, facts["hrefs"]) == []
    assert TRACEBACK not in facts["text"] and facts["errors"] == 0
    if page.startswith("notebooks/"):
        assert facts["figures"] >= 1, "no rendered figure"
        assert facts["math"] >= 1, "no rendered math"
        assert facts["widgetScripts"] == 0
        # one note per course widget at least; a tqdm bar (05's training run) is a widget too
        assert facts["widgetNotes"] >= widget_cells(page)
