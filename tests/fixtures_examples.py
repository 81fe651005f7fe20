"""A campaigns repository as a user has one: a copy of this repository's example campaigns
and schemas, and a campsync.yaml. Shared by the tests of action.yml and the example pipelines."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.fixtures_emulator import flows_config

REPO = Path(__file__).resolve().parent.parent


def example_repository(root: Path, config: str | None = None) -> Path:
    """`root` as a campaigns repository: the example campaigns, the schemas, and `config` as
    campsync.yaml (by default flows_config())."""
    shutil.copytree(REPO / "campaigns", root / "campaigns")
    shutil.copytree(REPO / "schemas", root / "schemas")
    (root / "campsync.yaml").write_text(flows_config() if config is None else config)
    return root
