"""The widgets render and respond for a learner: JupyterLab in a real browser (Debian chromium).

The test copies a notebook to a temporary folder, starts JupyterLab there (quick mode), opens it
in chromium driven by playwright, runs every cell from the Run menu, then moves the sliders the
way a learner does (focus a handle, press keys) and checks that the page changed: the image data
(`src` of the `ipywidgets.Image`) and the numbers of the caption. No pixel snapshots. It also
times the explorer's feedback after a settings change (printed, not asserted) and checks that a
check's verdict wraps between words.

JupyterLab runs in quick mode unless SIAMFC_EDU_QUICK is set: `SIAMFC_EDU_QUICK=0 pytest
tests/test_browser.py -k explorer -s` times the explorer on the whole clip (full mode).

Skipped where /usr/bin/chromium or the playwright package is missing (a learner's machine); CI
installs both (`.ci/run`). Screenshots go to a temporary folder whose path is printed (`-s`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.chromium import why_no_browser

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
EXPLORER_NOTEBOOK = ROOT / "notebooks" / "09_score_map_explorer.ipynb"

# The second widget checked: the LabelExplorer (radius slider "R (px)") of notebook 03.
LABELS_NOTEBOOK = ROOT / "notebooks" / "03_labels_and_loss.ipynb"
# The third: the EmbeddingExplorer (layer menu, channel slider) of notebook 01.
EMBEDDING_NOTEBOOK = ROOT / "notebooks" / "01_embedding.ipynb"
# A notebook of one cell that shows a check's verdict, written by the fixture.
VERDICT_NOTEBOOK = "verdict.ipynb"
VERDICT_CELL = (
    "from siamfc_edu.checks import Verdict\n"
    'Verdict("wrong", "the worst positives are penalised twice, so the balanced loss grows; " * 20)'
)

# Generous: two slow cores; a kernel start with the torch import takes 10-20 s, and the explorer
# tracks 40 frames (and the notebook's check cell 40 more) on the first run.
SERVER_START_S = 180
OPEN_S = 180
RUN_ALL_S = 900
FRAME_MOVE_S = 180
SETTING_MOVE_S = 600

CAPTION = re.compile(r"frame (\d+) / (\d+) \| box \[([^\]]*)\]")
# JupyterLab renders a cell's error like stderr; the traceback's header tells it from a warning
STDERR_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
TRACEBACK = "Traceback (most recent call last)"


# ----------------------------------------------------------------------------- JupyterLab server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """JupyterLab serving a temporary copy of the notebooks; stopped (with its kernels) after."""
    reason = why_no_browser()
    if reason:
        print(f"\nskipping the browser test: {reason}")
        pytest.skip(reason)

    root = tmp_path_factory.mktemp("lab")
    shutil.copy(EXPLORER_NOTEBOOK, root / EXPLORER_NOTEBOOK.name)
    shutil.copy(LABELS_NOTEBOOK, root / LABELS_NOTEBOOK.name)
    shutil.copy(EMBEDDING_NOTEBOOK, root / EMBEDDING_NOTEBOOK.name)
    import nbformat

    verdict = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(VERDICT_CELL)])
    verdict.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(verdict, root / VERDICT_NOTEBOOK)
    # Own settings and workspaces: no news toast, no layout restored from an earlier session.
    settings = root / ".lab" / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    (root / ".lab" / "workspaces").mkdir()

    port = free_port()
    env = dict(os.environ)
    env.setdefault("SIAMFC_EDU_QUICK", "1")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    log_path = root / ".lab" / "server.log"
    log = log_path.open("w")
    cmd = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
        "--ServerApp.token=", "--ServerApp.password=", f"--port={port}",
        "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
        "--ServerApp.disable_check_xsrf=True",  # lets the teardown shut the kernels down
        f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={root / '.lab' / 'settings'}",
        f"--LabApp.workspaces_dir={root / '.lab' / 'workspaces'}",
    ]  # fmt: skip
    server = subprocess.Popen(
        cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            try:
                get_json(f"{base}/api/status")
                break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"JupyterLab did not answer on port {port} within {SERVER_START_S} s "
                    f"(exit code {server.poll()}); its log:\n{log_path.read_text()[-3000:]}"
                )
            time.sleep(0.5)
        print(f"\nJupyterLab at {base}, serving {root}")
        yield {"base": base, "root": root}
    finally:
        # Kernels run in their own sessions: shut them down through the server first.
        try:
            for kernel in get_json(f"{base}/api/kernels"):
                request = urllib.request.Request(
                    f"{base}/api/kernels/{kernel['id']}", method="DELETE"
                )
                urllib.request.urlopen(request, timeout=30).close()
        except OSError:
            pass
        for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
            try:
                os.killpg(server.pid, sig)
            except ProcessLookupError:
                break
            try:
                server.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        log.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("screenshots")
    print(f"\nscreenshots in {out}")
    return out


@pytest.fixture
def page(lab: dict, chromium: object) -> Iterator[object]:
    context = chromium.new_context(viewport={"width": 1400, "height": 1200})
    context.set_default_timeout(60_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


# ----------------------------------------------------------------------------- page helpers


class Learner:
    """What a learner does on one page, with screenshots and informative failures."""

    def __init__(self, page: object, lab: dict, shots: Path, name: str) -> None:
        self.page, self.base, self.shots, self.name = page, lab["base"], shots, name
        self.count = 0

    def shot(self, what: str) -> Path:
        self.count += 1
        path = self.shots / f"{self.name}_{self.count:02d}_{what}.png"
        try:
            self.page.screenshot(path=str(path), timeout=30_000)
            print(f"screenshot: {path}")
        except Exception as error:  # a screenshot must never hide the real failure
            print(f"screenshot {path} failed: {error}")
        return path

    def visible_text(self) -> str:
        try:
            node = self.panel if self.panel.count() else self.page.locator("body")
            return node.inner_text(timeout=10_000)[-6000:]
        except Exception as error:
            return f"(could not read the page: {error})"

    def fail(self, message: str) -> None:
        path = self.shot("FAILED")
        pytest.fail(
            f"{message}\nscreenshot: {path}\n"
            f"--- visible text of the page ---\n{self.visible_text()}",
            pytrace=False,
        )

    def wait(self, what: str, check: Callable[[], object], timeout_s: float) -> object:
        """Poll `check` until it returns something truthy; fail on a cell error or the timeout."""
        deadline = time.monotonic() + timeout_s
        while True:
            result = check()
            if result:
                return result
            errors = self.panel.locator(STDERR_OUTPUT, has_text=TRACEBACK)
            if errors.count():
                self.fail(f"a cell raised while waiting for {what}:\n{errors.first.inner_text()}")
            if time.monotonic() > deadline:
                self.fail(f"timed out after {timeout_s:.0f} s waiting for {what}")
            self.page.wait_for_timeout(500)

    @property
    def panel(self) -> object:
        """The notebook in the current tab (the others are hidden, but stay in the page)."""
        return self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").first

    def open(self, notebook: str) -> None:
        """Open the notebook, pick a kernel if asked, wait for the kernel to be idle."""
        # ?reset: a fresh workspace, with only this notebook open
        self.page.goto(f"{self.base}/lab/tree/{notebook}?reset", timeout=OPEN_S * 1000)
        self.panel.locator(".jp-Cell").first.wait_for(timeout=OPEN_S * 1000)

        def ready() -> bool:
            self.select_kernel_if_asked()
            return self.kernel_idle()

        self.wait(f"the kernel of {notebook} to be idle", ready, OPEN_S)

    def kernel_idle(self) -> bool:
        """The toolbar's execution indicator and the status bar both say the kernel is idle."""
        indicator = self.panel.locator(".jp-Notebook-ExecutionIndicator")
        status = self.page.locator("#jp-main-statusbar").get_by_text(re.compile(r"\| Idle$"))
        return (
            indicator.count() > 0
            and indicator.first.get_attribute("data-status") == "idle"
            and status.count() > 0
        )

    def select_kernel_if_asked(self) -> bool:
        """Answer a 'Select Kernel' dialog with its default (Python 3); True if there was one."""
        dialog = self.page.locator(".jp-Dialog", has_text="Select Kernel")
        if not dialog.count():
            return False
        print("a 'Select Kernel' dialog appeared: choosing the default kernel")
        self.shot("select_kernel_dialog")
        dialog.first.get_by_role("button", name="Select", exact=True).click()
        dialog.first.wait_for(state="detached", timeout=30_000)
        return True

    def run_all(self, attempts: int = 3) -> None:
        """Run > Run All Cells, from the menu bar, until some cell is queued or has run.

        If the notebook's session has no kernel yet (a slow start), JupyterLab answers with a
        'Select Kernel' dialog and runs nothing: choose the kernel, wait for it, and run again.
        """
        prompts = self.panel.locator(".jp-InputArea-prompt")
        for attempt in range(1, attempts + 1):
            # focus the notebook: click the first cell's prompt, away from the cell's toolbar
            self.panel.locator(".jp-Cell .jp-InputPrompt").first.click()
            self.page.keyboard.press("Escape")  # command mode: no cell editor holds the keys
            self.page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
            label = self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$"))
            self.page.locator(".lm-Menu-item:visible").filter(has=label).click()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if self.select_kernel_if_asked():
                    self.wait("the kernel to be idle", self.kernel_idle, OPEN_S)
                    break
                if any(re.search(r"\[(\*|\d+)\]", t) for t in prompts.all_inner_texts()):
                    return
                self.page.wait_for_timeout(500)
            print(f"Run All Cells, attempt {attempt}: no cell started; trying again")
        self.fail(f"Run > Run All Cells started no cell in {attempts} attempts")

    def idle(self, timeout_s: float) -> None:
        """Wait until no cell is queued or running."""
        prompts = self.panel.locator(".jp-InputArea-prompt")

        def done() -> bool:
            return not any("*" in text for text in prompts.all_inner_texts())

        self.wait("every cell to finish", done, timeout_s)

    def slider(self, description: str) -> object:
        """The ipywidgets slider with this description (a locator relative to any container)."""
        label = self.page.locator(
            ".widget-label", has_text=re.compile(f"^{re.escape(description)}$")
        )
        return self.page.locator(".widget-slider", has=label)

    def handle(self, description: str) -> object:
        """The handle of the slider with this description, in the current notebook."""
        return self.panel.locator(self.slider(description)).locator(".noUi-handle").first

    def press(self, handle: object, key: str, times: int = 1) -> None:
        handle.scroll_into_view_if_needed()
        handle.focus()
        for _ in range(times):
            handle.press(key)
            self.page.wait_for_timeout(100)


def src(image: object) -> str:
    return image.get_attribute("src") or ""


def slider_value(handle: object) -> float:
    """The value a slider's handle announces (noUiSlider writes "15.0" for an IntSlider)."""
    return float(handle.get_attribute("aria-valuenow"))


# Installed on the explorer's box before a key press; records in the page (ms, performance.now())
# the press, when the status line first says "tracking…" (busy), when the frame image first
# changes (view) and when the status line is cleared again (done).
WATCH_RETRACK = """root => {
    const status = root.querySelector('.siamfc-status');
    const image = root.querySelector('img.widget-image');
    const before = image.src;
    const times = {press: null, busy: null, view: null, done: null};
    window.__retrack = times;
    const onKey = () => { if (times.press === null) times.press = performance.now(); };
    document.addEventListener('keydown', onKey, true);
    const observer = new MutationObserver(() => {
        if (times.press === null) return;
        const now = performance.now(), text = status.textContent;
        if (times.busy === null && text.startsWith('tracking')) times.busy = now;
        if (times.view === null && image.src !== before) times.view = now;
        if (times.busy !== null && times.done === null && text === '') {
            times.done = now;
            observer.disconnect();
            document.removeEventListener('keydown', onKey, true);
        }
    });
    observer.observe(root, {subtree: true, childList: true, characterData: true, attributes: true});
}"""


def timed_retrack(learner: Learner, explorer: object, handle: object, key: str, what: str) -> dict:
    """Press `key` on a settings slider; print how soon the explorer answered (not asserted)."""
    explorer.evaluate(WATCH_RETRACK)
    learner.press(handle, key)
    times = learner.wait(
        f"the explorer to track again after {what}",
        lambda: learner.page.evaluate("window.__retrack.done !== null && window.__retrack"),
        SETTING_MOVE_S,
    )
    if times["busy"] is None:
        learner.fail(f"after {what}, the explorer never said 'tracking…'")
    ms = {k: None if times[k] is None else round(times[k] - times["press"]) for k in times}
    print(
        f"latency, {what}: 'tracking…' after {ms['busy']} ms, first new picture after "
        f"{ms['view']} ms, all drawn after {ms['done']} ms"
    )
    return ms


def caption_numbers(text: str) -> tuple[int, str] | None:
    """(frame number, box text) of the explorer's caption, or None."""
    match = CAPTION.search(text)
    return (int(match.group(1)), match.group(3)) if match else None


# ----------------------------------------------------------------------------- tests


def test_score_map_explorer_renders_and_responds(page, lab, shots):
    learner = Learner(page, lab, shots, "explorer")
    learner.open(EXPLORER_NOTEBOOK.name)
    learner.run_all()

    frame_slider = learner.handle("frame")
    learner.wait("the explorer's frame slider", lambda: frame_slider.count(), RUN_ALL_S)
    learner.idle(RUN_ALL_S)  # the check cell after the explorer re-tracks the clip
    # the explorer's outermost box: the first (outermost) VBox that holds the frame slider
    explorer = learner.panel.locator(".widget-vbox", has=learner.slider("frame")).first
    images = explorer.locator("img.widget-image")
    caption = explorer.get_by_text(CAPTION).first
    learner.wait("the frame and pyramid images", lambda: images.count() >= 2, 60)
    frame_image, pyramid_image = images.nth(0), images.nth(1)
    for name, image in (("frame", frame_image), ("pyramid", pyramid_image)):
        width = image.evaluate("img => img.naturalWidth")
        if not (src(image) and width > 0):
            learner.fail(f"the {name} image did not load (src {src(image)[:60]!r}, width {width})")
    for name in ("window_influence", "scale_penalty", "scale_step", "scale_lr"):
        if not explorer.locator(learner.slider(name)).count():
            learner.fail(f"the {name} slider is missing")
    frame_image.scroll_into_view_if_needed()
    learner.shot("rendered")

    first = caption_numbers(caption.inner_text())
    if first is None:
        learner.fail("no caption 'frame t / N | box [...]' under the explorer")
    frame0, box0 = first
    last_frame = int(CAPTION.search(caption.inner_text()).group(2))
    src0, pyramid0 = src(frame_image), src(pyramid_image)

    # The frame slider: five steps to the right (each key press is a released move).
    learner.press(frame_slider, "ArrowRight", 5)
    moved = learner.wait(
        f"the caption to show frame {frame0 + 5}",
        lambda: (n := caption_numbers(caption.inner_text())) and n[0] == frame0 + 5 and n,
        FRAME_MOVE_S,
    )
    learner.wait("the frame image to change", lambda: src(frame_image) != src0, 60)
    learner.wait("the pyramid image to change", lambda: src(pyramid_image) != pyramid0, 60)
    frame1, box1 = moved
    if box1 == box0:
        learner.fail(f"frame {frame0} -> {frame1}, but the box stayed [{box1}]")
    frame_image.scroll_into_view_if_needed()
    learner.shot(f"frame_{frame1}")
    print(f"frame slider: frame {frame0} box [{box0}] -> frame {frame1} box [{box1}]")

    # window_influence to its maximum (End): the map is the window alone; the clip is re-tracked.
    src1, pyramid1 = src(frame_image), src(pyramid_image)
    timed_retrack(
        learner,
        explorer,
        learner.handle("window_influence"),
        "End",
        f"window_influence -> 1 at frame {frame1}",
    )
    learner.wait(
        "the caption's box or the frame image to change after window_influence -> 1",
        lambda: caption_numbers(caption.inner_text())[1] != box1 or src(frame_image) != src1,
        SETTING_MOVE_S,
    )
    # the caption is written after the images: let it catch up (it may keep its box)
    deadline = time.monotonic() + 30
    while caption_numbers(caption.inner_text())[1] == box1 and time.monotonic() < deadline:
        page.wait_for_timeout(500)
    frame2, box2 = caption_numbers(caption.inner_text())
    if frame2 != frame1:
        learner.fail(f"the frame moved from {frame1} to {frame2} with a setting")
    frame_image.scroll_into_view_if_needed()
    learner.shot("window_influence_1")
    print(
        f"window_influence -> 1: frame {frame2} box [{box1}] -> [{box2}], "
        f"frame image changed: {src(frame_image) != src1}, pyramid changed: "
        f"{src(pyramid_image) != pyramid1}"
    )

    # The last frame (End), then a setting: the longest re-track, shown while it runs.
    learner.press(frame_slider, "End")
    learner.wait(
        "the caption to show the last frame",
        lambda: (n := caption_numbers(caption.inner_text())) and n[0] == last_frame,
        FRAME_MOVE_S,
    )
    timed_retrack(
        learner,
        explorer,
        learner.handle("scale_lr"),
        "End",
        f"scale_lr -> 1 at the last frame, {last_frame}",
    )

    # Readouts as precise as the steps: 0.9745 reads 0.9745, and one press changes the readout.
    readout = explorer.locator(learner.slider("scale_penalty")).locator(".widget-readout")
    before = readout.inner_text()
    if before != "0.9745":
        learner.fail(f"the scale_penalty readout shows {before!r} for 0.9745")
    timed_retrack(
        learner,
        explorer,
        learner.handle("scale_penalty"),
        "ArrowRight",
        f"scale_penalty one step up at frame {last_frame}",
    )
    after = readout.inner_text()
    if not re.fullmatch(r"\d\.\d{4}", after) or after == before:
        learner.fail(f"one step of scale_penalty: readout {before!r} -> {after!r}")
    frame_image.scroll_into_view_if_needed()
    learner.shot("settings_moved")
    print(f"scale_penalty readout: {before} -> {after}")


def test_label_explorer_renders_and_responds(page, lab, shots):
    notebook = LABELS_NOTEBOOK.name
    learner = Learner(page, lab, shots, "labels")
    learner.open(notebook)
    learner.run_all()

    radius = learner.handle("R (px)")
    learner.wait("the LabelExplorer's 'R (px)' slider", lambda: radius.count(), RUN_ALL_S)
    learner.idle(RUN_ALL_S)
    box = learner.panel.locator(".widget-vbox", has=learner.slider("R (px)")).first
    image = box.locator("img.widget-image").first
    learner.wait("the label image", lambda: image.count() and src(image), 60)
    before, value = src(image), radius.get_attribute("aria-valuenow")
    image.scroll_into_view_if_needed()
    learner.shot("rendered")

    table = box.locator("table")
    sums = table.locator("td", has_text=re.compile(r"^0\.500$"))
    if sums.count() != 2:
        learner.fail(
            f"the weights table does not show each class summing to 0.500:\n{box.inner_text()}"
        )

    learner.press(radius, "ArrowRight", 8)
    learner.wait("the label image to change", lambda: src(image) != before, FRAME_MOVE_S)
    learner.wait("the weights table to follow", lambda: "1/26" not in table.inner_text(), 60)
    learner.shot("radius_moved")
    print(f"R (px): {value} -> {radius.get_attribute('aria-valuenow')}, label image changed")
    print("weights table:", " | ".join(table.inner_text().split("\n")))


def test_embedding_channel_slider_reaches_every_channel_of_a_new_layer(page, lab, shots):
    learner = Learner(page, lab, shots, "embedding")
    learner.open(EMBEDDING_NOTEBOOK.name)
    learner.run_all()

    channel = learner.handle("channel")
    learner.wait("the EmbeddingExplorer's channel slider", lambda: channel.count(), RUN_ALL_S)
    learner.idle(RUN_ALL_S)
    box = learner.panel.locator(".widget-vbox", has=learner.slider("channel")).first
    image = box.locator("img.widget-image").first
    learner.press(channel, "End")
    learner.wait("conv1's last channel, 15", lambda: slider_value(channel) == 15, 60)

    before = src(image)
    box.locator("select").select_option("conv5")
    learner.wait("the picture of conv5", lambda: src(image) != before, FRAME_MOVE_S)
    learner.press(channel, "End")  # the slider was rebuilt: a fresh locator finds the new one
    learner.wait(
        "the End key to reach conv5's last channel, 47",
        lambda: slider_value(channel) == 47,
        60,
    )
    readout = box.locator(".widget-readout").first
    learner.wait("the readout 47", lambda: readout.inner_text() == "47", 60)
    image.scroll_into_view_if_needed()
    learner.shot("conv5_last_channel")
    print(f"channel slider on conv5: End -> {channel.get_attribute('aria-valuenow')}")


# Each word's line boxes, from a Range over it: a word on two lines has two distinct tops.
SPLIT_WORDS = """pre => {
    const text = pre.firstChild, split = [], tops = new Set();
    for (const m of text.textContent.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(text, m.index);
        range.setEnd(text, m.index + m[0].length);
        const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        lines.forEach(top => tops.add(top));
        if (lines.size > 1) split.push(m[0]);
    }
    const style = getComputedStyle(pre);
    return {split, lines: tops.size, wordBreak: style.wordBreak,
            whiteSpace: style.whiteSpace, overflowWrap: style.overflowWrap};
}"""


def test_a_verdict_wraps_between_words(page, lab, shots):
    learner = Learner(page, lab, shots, "verdict")
    learner.open(VERDICT_NOTEBOOK)
    learner.run_all()
    learner.idle(RUN_ALL_S)
    pre = learner.panel.locator(".jp-OutputArea-output pre").first
    learner.wait("the verdict", lambda: pre.count() and "worst" in pre.inner_text(), 60)
    found = pre.evaluate(SPLIT_WORDS)
    learner.shot("wrapped")
    print(f"verdict: {found['lines']} lines, computed style {found}")
    if found["whiteSpace"] != "pre-wrap" or found["wordBreak"] in ("break-all", "break-word"):
        learner.fail(f"the verdict's <pre> computes to {found}: words may break anywhere")
    if found["lines"] < 3:
        learner.fail(f"the verdict did not wrap ({found['lines']} lines): nothing was tested")
    if found["split"]:
        learner.fail(f"words split across lines: {found['split'][:5]}")
