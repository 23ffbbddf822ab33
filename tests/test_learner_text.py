"""What a learner reads: no references to files they do not have, and a syllabus that agrees.

A learner has the repository, the paper and public sources, nothing else. So the course text
(notebooks, exercises, solutions, docs) must not cite the design notes it was written from
(`COURSE.md`, a `shared/` folder, a machine's `/work/` paths, "the seed" and its slides), and
the exercises each notebook, the tour's course map and the README promise must exist, in the
numbers they give. exercises/ is generated from solutions/ (`siamfc-edu make-exercises`).
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("notebooks", "exercises", "solutions")  # the .py of each jupytext pair, and READMEs
COURSE_FILES = sorted(
    [p for folder in FOLDERS for p in (ROOT / folder).iterdir() if p.suffix in (".py", ".md")]
    + list((ROOT / "docs").glob("*.md"))
    + [ROOT / "README.md", *(ROOT / "siamfc_edu").rglob("*.py")]  # learners read these too
)
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))

# Each pattern names something only the course's authors had. A random seed (`seed=7`,
# `torch.manual_seed`, "the seed spread") is not one of them and must not match.
INTERNAL = {
    "the course design file": re.compile(r"COURSE\.md"),
    "a shared/ folder": re.compile(r"(?<![\w-])shared/"),
    "a path on the authors' machine": re.compile(r"/work/"),
    "the seed document": re.compile(r"\bthe seed's\b|\bseed_(formula|slides|list)\b", re.I),
    "the seed's slides": re.compile(r"\bthe slides\b", re.I),
}


def internal_references(text: str) -> list[str]:
    """'line N: what' for every reference to a document a learner does not have."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        found += [f"line {number}: {what}" for what, rx in INTERNAL.items() if rx.search(line)]
    return found


@pytest.mark.parametrize(
    "text",
    [
        "# The paper's numbers (`/work/shared/COURSE.md`, 'Numbers from the paper')",
        "# What to look for (the seed's list of failure modes):",
        "seed_formula = torch.log(1 + torch.exp(-y * scores))",
        "# The slides show SiamFC under three OTB protocols",
        "see shared/seed/siamfc-slides.md",
    ],
)
def test_an_internal_reference_is_found(text: str):
    assert internal_references(text)


@pytest.mark.parametrize(
    "text",
    [
        "torch.manual_seed(0)",
        "rng = np.random.default_rng(seed=7)",
        "# no change beyond the smaller seed spread",
        "# pair i depends only on *(seed, epoch, i)*, the seed (0) of the shipped run",
        r"# where $\varphi(z)$ slides over $\varphi(x)$",
        "# Bertinetto et al. 2016, §2.4, Table 1",
    ],
)
def test_a_random_seed_or_the_paper_is_not_an_internal_reference(text: str):
    assert not internal_references(text)


def test_there_are_course_files():
    assert len(COURSE_FILES) > 10 and NOTEBOOKS


@pytest.mark.parametrize("path", COURSE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_reference_a_learner_cannot_follow(path: Path):
    found = internal_references(path.read_text(encoding="utf-8"))
    assert not found, (
        f"{path.relative_to(ROOT)} cites what a learner does not have ({'; '.join(found)}): "
        "cite the paper (section, table, equation) or a public source instead"
    )


# ----------------------------------------------------------------------- the syllabus agrees


def exercise_count(name: str) -> int:
    """How many exercises solutions/<name>.py holds (its '## Exercise N' headings); 0 if none."""
    path = ROOT / "solutions" / f"{name}.py"
    if not path.is_file():
        return 0
    return len(re.findall(r"^# ## Exercise \d+", path.read_text(), flags=re.M))


def recap(notebook: Path) -> str:
    """The notebook's closing part, from its '## Recap' heading on."""
    text = notebook.read_text()
    assert "# ## Recap" in text, f"{notebook.name} has no '## Recap' section"
    return text[text.index("# ## Recap") :]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_recap_names_the_notebooks_exercises_or_says_there_are_none(notebook: Path):
    text, name = recap(notebook), notebook.stem
    named = set(re.findall(r"exercises/(\d\d_\w+)\.ipynb", text))
    for other in named:
        assert (ROOT / "solutions" / f"{other}.py").is_file(), f"{name}'s recap names {other}"
    if exercise_count(name):
        assert name in named, f"the recap of {name} should name exercises/{name}.ipynb"
    else:
        assert "none" in text.lower(), f"{name} has no exercises: its recap should say so"


def table_counts(text: str, row: str) -> dict[str, str]:
    """{notebook name: its 'exercises' cell} from the table rows that match `row`."""
    return {m.group("name"): m.group("count") for m in re.finditer(row, text, flags=re.M)}


README_ROW = (
    r"^\| \[\d\d [^\]]*\]\(notebooks/(?P<name>\d\d_\w+)\.ipynb\) \|.*\| (?P<count>[^|]*?) \|$"
)
TOUR_ROW = r"^# \| (?P<name>\d\d) [^|]*\|.*\| (?P<count>[^|]*?) \|$"  # the tour's map of the course


def expected_cell(name: str, linked: bool) -> str:
    """What a table's 'exercises' cell should say for a notebook: a count, or 'none'."""
    n = exercise_count(name)
    if not n:
        return "none"
    return f"[{n}](exercises/{name}.ipynb)" if linked else str(n)


def test_the_readme_lists_every_notebook_with_its_number_of_exercises():
    counts = table_counts((ROOT / "README.md").read_text(), README_ROW)
    assert sorted(counts) == [p.stem for p in NOTEBOOKS], "the README's table lists each notebook"
    for name, cell in counts.items():
        assert cell == expected_cell(name, linked=True), f"README's table, {name}: {cell!r}"


def test_the_tours_course_map_gives_each_notebooks_number_of_exercises():
    tour, *chapters = NOTEBOOKS
    counts = table_counts(tour.read_text(), TOUR_ROW)
    assert sorted(counts) == [p.stem[:2] for p in chapters], "the tour's map lists each chapter"
    for chapter in chapters:
        cell = counts[chapter.stem[:2]]
        assert cell == expected_cell(chapter.stem, linked=False), (
            f"00's map, {chapter.stem}: {cell}"
        )
