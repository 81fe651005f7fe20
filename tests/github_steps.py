"""Running GitHub workflow and action steps outside GitHub, for the tests of action.yml, the
example workflows and the workflow `campsync init` writes.

- `use_action(step_with, ...)`: what a `uses: .../campsync@...` step does once campsync is
  installed, i.e. scripts/github_action.py, in this process (the KORE_* environment of the
  test points campsync at the emulator); its outputs, as GitHub would read them.
- `run_shell(script, env, cwd)`: a `run:` block with bash, as a runner does.
- `expand(text, values)`: `${{ ... }}` expressions replaced from a mapping; an expression
  the mapping does not know fails the test (it would mean something GitHub-only).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from ruamel.yaml import YAML

from tests.scripts import load_script

REPO = Path(__file__).resolve().parent.parent
ACTION = REPO / "action.yml"
RUN_LINE = 'python "$GITHUB_ACTION_PATH/scripts/github_action.py"'
_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def action_script() -> ModuleType:
    return load_script("github_action")


def is_campsync_action(step: Mapping[str, Any]) -> bool:
    """`uses: OWNER/campsync@REF` (or `./`, this repository's own action)."""
    uses = str(step.get("uses", ""))
    return uses == "./" or uses.split("@")[0].endswith("/campsync")


def expand(text: str, values: Mapping[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        expression = match.group(1)
        assert expression in values, f"no value for ${{{{ {expression} }}}} in {text!r}"
        return values[expression]

    return _EXPRESSION.sub(one, text)


_CONDITION = re.compile(r"^\s*([\w.-]+)\s*(==|!=)\s*'([^']*)'\s*$")


def condition(expression: str, values: Mapping[str, str]) -> bool:
    """A step's `if:` as GitHub evaluates the forms the examples use: `A == 'x'` and `A != 'x'`,
    joined by `&&`; a `vars.NAME` the mapping lacks is unset (empty). Any other form fails the
    test (it would need GitHub itself)."""
    verdict = True
    for part in expression.split("&&"):
        match = _CONDITION.match(part)
        assert match, f"an `if:` these tests cannot evaluate: {expression!r}"
        name, operator, literal = match.groups()
        assert name in values or name.startswith("vars."), f"no value for {name} in {expression!r}"
        equal = values.get(name, "") == literal
        verdict = verdict and (equal if operator == "==" else not equal)
    return verdict


def outputs_of(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT's `name=value` lines."""
    if not path.exists():
        return {}
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if line)


@dataclass
class ActionRun:
    code: int
    outputs: dict[str, str]
    summary: str


def load_yaml(path: Path) -> Any:
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def action_step(step_id: str) -> dict[str, Any]:
    [step] = [s for s in load_yaml(ACTION)["runs"]["steps"] if s.get("id") == step_id]
    return dict(step)


def action_inputs(step_with: Mapping[str, Any] | None) -> dict[str, str]:
    """`inputs.NAME` -> value: the step's `with:` over action.yml's defaults."""
    values = {
        name: str(spec.get("default", "")) for name, spec in load_yaml(ACTION)["inputs"].items()
    }
    for name, value in (step_with or {}).items():
        assert name in values, f"the action has no input {name!r}"
        values[name] = str(value)
    return {f"inputs.{name}": value for name, value in values.items()}


def use_action(step_with: Mapping[str, Any] | None, scratch: Path) -> ActionRun:
    """The action's campsync step (its env block, with the inputs) in this process; install
    and setup-python are GitHub's part (tests/test_action.py runs the install step too)."""
    step = action_step("run")
    assert step["run"].strip() == RUN_LINE
    files = github_files(scratch)
    inputs = action_inputs(step_with)
    env = {name: expand(str(value), inputs) for name, value in step["env"].items()}
    code = action_script().main({**os.environ, **files, **env})
    return ActionRun(
        code,
        outputs_of(Path(files["GITHUB_OUTPUT"])),
        Path(files["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8"),
    )


def run_shell(
    script: str, env: Mapping[str, str], cwd: Path, *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script],  # as a runner runs `shell: bash`
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def github_files(scratch: Path) -> dict[str, str]:
    """Fresh GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and RUNNER_TEMP under `scratch`."""
    scratch.mkdir(parents=True, exist_ok=True)
    temp = scratch / "runner-temp"
    temp.mkdir(exist_ok=True)
    output, summary = scratch / "output", scratch / "summary.md"
    for path in (output, summary):
        path.write_text("")
    return {
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "RUNNER_TEMP": str(temp),
        "GITHUB_ACTION_PATH": str(REPO),
    }


class GhStub:
    """A stand-in `gh` on PATH that records each call (its arguments, and the text of its
    --body-file) and answers what it is told: `gh issue list` the open issue, `gh api` the
    pull request's head commit, `gh run list` a run id; `gh run download ... --dir DIR`
    copies the artifact's files into DIR."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.bin = folder / "bin"
        self.bin.mkdir(exist_ok=True)
        self.log = folder / "gh-calls.jsonl"
        self.open_issue = ""
        self.head = ""  # `gh api .../pulls --jq ...`: the pull request's last commit
        self.run = ""  # `gh run list ... --jq ...`: the plan run's id
        self.artifact: list[Path] = []  # `gh run download`: the files it brings
        script = self.bin / "gh"
        script.write_text(
            f"#!{sys.executable}\n"
            "import json, os, shutil, sys\n"
            "args = sys.argv[1:]\n"
            "body = None\n"
            "if '--body-file' in args:\n"
            "    body = open(args[args.index('--body-file') + 1], encoding='utf-8').read()\n"
            "with open(os.environ['GH_STUB_LOG'], 'a', encoding='utf-8') as log:\n"
            "    log.write(json.dumps({'args': args, 'body': body}) + '\\n')\n"
            "if args[:2] == ['issue', 'list']:\n"
            "    print(os.environ.get('GH_STUB_OPEN_ISSUE', ''))\n"
            "elif args[:1] == ['api']:\n"
            "    print(os.environ.get('GH_STUB_HEAD', ''))\n"
            "elif args[:2] == ['run', 'list']:\n"
            "    print(os.environ.get('GH_STUB_RUN', ''))\n"
            "elif args[:2] == ['run', 'download']:\n"
            "    folder = args[args.index('--dir') + 1]\n"
            "    os.makedirs(folder, exist_ok=True)\n"
            "    for path in filter(None, os.environ['GH_STUB_ARTIFACT'].split(os.pathsep)):\n"
            "        shutil.copy(path, folder)\n"
        )
        script.chmod(0o755)

    def env(self) -> dict[str, str]:
        return {
            "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
            "GH_STUB_LOG": str(self.log),
            "GH_STUB_OPEN_ISSUE": self.open_issue,
            "GH_STUB_HEAD": self.head,
            "GH_STUB_RUN": self.run,
            "GH_STUB_ARTIFACT": os.pathsep.join(str(path) for path in self.artifact),
        }

    def calls(self) -> list[dict[str, Any]]:
        """Every call since the last time this was asked."""
        if not self.log.exists():
            return []
        found = [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines()]
        self.log.unlink()
        return found
