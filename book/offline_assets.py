"""A Sphinx extension for the course book: the site loads nothing from the web.

Sphinx loads MathJax from a CDN by default, so a reader offline would see raw TeX, and myst-nb
adds require.js and the ipywidgets embedder from CDNs to every page with a widget. Here MathJax 3
comes from npm (`npm ci --prefix book`, pinned in book/package-lock.json) and is copied into the
site, only what its CHTML renderer loads: the combined `tex-chtml.js`, its web fonts and the TeX
extensions it loads on demand. The widgets' CDN scripts are dropped: a widget needs a running
kernel anyway, and every widget of the course has a static figure beside it; where one was, the
page says how to use it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.transforms.post_transforms import SphinxPostTransform

MATHJAX = Path(__file__).resolve().parent / "node_modules" / "mathjax"
# what tex-chtml.js loads, relative to its own folder (MathJax's `[mathjax]` path)
MATHJAX_FILES = ["tex-chtml.js", "input/tex/extensions", "output/chtml/fonts/woff-v2"]
SITE_MATHJAX = "mathjax"  # under the site's _static/
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = (
    "An interactive widget runs here when this notebook is open in JupyterLab "
    "(jupyter lab notebooks/); the figure beside it shows the same view as a still."
)


def check_mathjax(app: Sphinx) -> None:
    """Fail early, saying what to run, when the npm install step was skipped."""
    if not (MATHJAX / "es5" / "tex-chtml.js").is_file():
        raise ExtensionError(f"MathJax is missing under {MATHJAX}: run `npm ci --prefix book`")


def copy_mathjax(app: Sphinx, exception: Exception | None) -> None:
    """Copy MathJax's renderer, fonts and TeX extensions into the built site's _static/."""
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / SITE_MATHJAX
    for name in MATHJAX_FILES:
        source, copy = MATHJAX / "es5" / name, target / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, copy, dirs_exist_ok=True)
        else:
            shutil.copy2(source, copy)
    shutil.copy2(MATHJAX / "LICENSE", target / "LICENSE")


class WidgetNote(SphinxPostTransform):
    """Replace each widget's embedding (a script only a CDN could render) with a short note."""

    default_priority = 500
    formats = ("html",)

    def run(self, **kwargs: object) -> None:
        for raw in list(self.document.findall(nodes.raw)):
            if WIDGET_MIME in raw.astext():
                note = nodes.paragraph(text=WIDGET_NOTE, classes=["widget-note"])
                raw.replace_self(note)


def offline_config(app: Sphinx, config: object) -> None:
    """MathJax from the site's _static/; no require.js nor ipywidgets scripts from CDNs."""
    config.mathjax_path = f"{SITE_MATHJAX}/tex-chtml.js"
    config.nb_ipywidgets_js = {}


def setup(app: Sphinx) -> dict[str, object]:
    app.connect("config-inited", offline_config, priority=400)
    # MathJax on every page: Sphinx adds it only where a page has math outside its title
    app.set_html_assets_policy("always")
    app.connect("builder-inited", check_mathjax)
    app.connect("build-finished", copy_mathjax)
    app.add_post_transform(WidgetNote)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
