"""The `ws` fixture: a working directory with a campaigns/ folder, the CLI run in-process,
and the emulator it talks to (from fixtures_emulator). Shared by the end-to-end tests."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from campsync.cli import main
from campsync.emulator.runner import RunningEmulator
from tests.fixtures_emulator import seed_ready, wait_ready

WRITE_KINDS = ("update", "create", "delete", "trigger")  # starts and stops are writes


class TerminalInput(io.StringIO):
    """A stdin that is a terminal (apply asks its question only there); set it with
    monkeypatch, and what the user types with a monkeypatched `input`."""

    def isatty(self) -> bool:
        return True


@dataclass
class Result:
    code: int
    out: str
    err: str


class Workspace:
    """A working directory with a campaigns/ folder, and the emulator campsync talks to."""

    def __init__(
        self, root: Path, emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
    ) -> None:
        self.root = root
        self.emulator = emulator
        self.store = emulator.store
        self.capsys = capsys
        self.campaigns = root / "campaigns"
        self.campaigns.mkdir()

    def write(self, filename: str, data: dict[str, Any] | str) -> Path:
        """A campaign file; a dict is written as JSON (which is YAML), a str as is."""
        path = self.campaigns / filename
        path.parent.mkdir(parents=True, exist_ok=True)
        text = data if isinstance(data, str) else json.dumps(data, indent=2)
        path.write_text(text, encoding="utf-8")
        return path

    def config(self, text: str) -> None:
        (self.root / "campsync.yaml").write_text(text, encoding="utf-8")

    def cli(self, *args: str) -> Result:
        self.capsys.readouterr()
        code = main(list(args))
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)

    def plan_json(self, *args: str) -> dict[str, Any]:
        result = self.cli("plan", "--json", *args)
        assert result.code == 0, result.err
        document: dict[str, Any] = json.loads(result.out)
        return document

    def seed(self, *bodies: dict[str, Any]) -> list[str]:
        return seed_ready(self.emulator, *bodies)

    def stored(self, campaign_id: str) -> dict[str, Any]:
        for record in self.store.raw_campaigns():
            if record["_id"] == campaign_id:
                return record
        raise AssertionError(f"{campaign_id} is not on the emulator")

    def stored_by_name(self, name: str) -> dict[str, Any]:
        for record in self.store.raw_campaigns():
            if record["name"] == name:
                return record
        raise AssertionError(f"no campaign named {name!r} on the emulator")

    def writes(self) -> int:
        by_kind = self.store.stats()["by_kind"]
        return sum(int(by_kind.get(kind, 0)) for kind in WRITE_KINDS)

    def requests_about(self, campaign_id: str) -> list[dict[str, Any]]:
        return [r for r in self.store.requests() if campaign_id in r["path"]]

    def wait_ready(self, timeout: float = 5.0) -> None:
        """Poll until no campaign is Preparing (ready_after is 0.2 s in the tests)."""
        wait_ready(self.emulator, timeout)


@pytest.fixture
def ws(
    cli_env: RunningEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Workspace]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TERM", raising=False)  # as the colour tests expect, whatever runs them
    yield Workspace(tmp_path, cli_env, capsys)
