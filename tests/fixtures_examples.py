"""A campaigns repository as a user has one: a copy of this repository's example campaigns
and schemas, and a campsync.yaml. Shared by the tests of action.yml and the example pipelines."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from campsync.config.target import Target
from campsync.sync.plan import Change, Plan, Refusal
from campsync.sync.planfile import save_plan
from tests.fixtures_emulator import flows_config

REPO = Path(__file__).resolve().parent.parent


def example_repository(root: Path, config: str | None = None) -> Path:
    """`root` as a campaigns repository: the example campaigns, the schemas, and `config` as
    campsync.yaml (by default flows_config())."""
    shutil.copytree(REPO / "campaigns", root / "campaigns")
    shutil.copytree(REPO / "schemas", root / "schemas")
    (root / "campsync.yaml").write_text(flows_config() if config is None else config)
    return root


def saved_plans(root: Path) -> tuple[Path, Path]:
    """Two folders under `root`, each holding plan.json, a saved plan: one that apply would
    refuse without --force, one it would not."""
    plan = Plan.of([Change("update", "Q4", "cd-1", "q4.yaml", body={})], existing=1)
    refusal = Refusal(("updates 1 of 1 campaign (100%) > maxUpdatePercent 30",))
    folders = (root / "refused", root / "within")
    for folder, plan_of in zip(folders, (replace(plan, refusal=refusal), plan), strict=True):
        folder.mkdir(parents=True)
        save_plan(folder / "plan.json", plan_of, Target("https://platform.kore.ai", "s", "a"))
    return folders
