"""pytest plugin: `accounts`, two emulators as two accounts (own credentials, stream, ids and
rate limit each) behind the environments `staging` and `production` of one campsync.yaml, a
working directory with three campaign files (no caller id: each environment's "*" override
sets it), and the CLI run in it (issue 23: many accounts in one run, compare)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from campsync.cli import main
from campsync.emulator.runner import RunningEmulator, start_in_thread
from tests.fixtures_emulator import EmulatorApi, campaign_body, emulator_test_config
from tests.fixtures_environments import (
    ACCOUNTS,
    TwoAccounts,
    desk_of_environments,
    environments_config,
    secrets_of,
)

RATE_LIMITS = {"staging": 600, "production": 300}  # each account's own, per 60 s
NAMES = ("Spring Renewals", "Autumn Push", "Winter Wins")
BOTH = ("staging", "production")


@dataclass
class Result:
    code: int
    out: str
    err: str


@dataclass
class Accounts:
    """The two accounts, the working directory, and the CLI run in it."""

    by_name: dict[str, RunningEmulator]
    root: Path
    capsys: pytest.CaptureFixture[str]

    def cli(self, *args: str) -> Result:
        self.capsys.readouterr()
        code = main(list(args))
        out, err = self.capsys.readouterr()
        return Result(code, out, err)

    def stored(self, environment: str) -> dict[str, dict[str, Any]]:
        return {r["name"]: r for r in self.by_name[environment].store.raw_campaigns()}

    def requests(self, environment: str) -> int:
        return int(self.by_name[environment].store.stats()["total"])

    def reset(self) -> None:
        for running in self.by_name.values():
            running.store.reset_stats()

    def write(self, name: str, **changes: Any) -> None:
        """A campaign file without a caller id (each environment's "*" override sets it)."""
        body = campaign_body(name, **changes)
        del body["dialingStrategy"]["callerId"]
        slug = name.lower().replace(" ", "-")
        (self.root / "campaigns" / f"{slug}.yaml").write_text(json.dumps(body))

    def config(self, overrides: dict[str, str] | None = None, *, extra: str = "") -> None:
        text = environments_config(self.by_name, overrides) + extra
        (self.root / "campsync.yaml").write_text(text)


@pytest.fixture
def accounts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Accounts]:
    """Both accounts with their own rate limits, campsync.yaml with an environment each, three
    campaign files, both credentials set under their own names, and no KORE_* variable."""
    desk_of_environments(monkeypatch)
    for environment in BOTH:
        for key, value in secrets_of(environment).items():
            monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "campaigns").mkdir()
    configs = {
        name: emulator_test_config(**ACCOUNTS[name], rate_limit=RATE_LIMITS[name]) for name in BOTH
    }
    with (
        start_in_thread(configs["staging"]) as staging,
        start_in_thread(configs["production"]) as production,
    ):
        made = Accounts({"staging": staging, "production": production}, tmp_path, capsys)
        made.config()
        for name in NAMES:
            made.write(name)
        yield made


def converge(accounts: Accounts) -> None:
    """Both accounts applied, their campaigns Ready (no longer Preparing: editable)."""
    applied = accounts.cli("apply", "--env", "all", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    TwoAccounts(**accounts.by_name).wait_ready()
    accounts.reset()


def platform_edit(running: RunningEmulator, campaign_id: str, body: dict[str, Any]) -> None:
    """Someone edits the campaign on the platform (its own update call, as its web UI)."""

    async def put() -> tuple[int, Any]:
        async with aiohttp.ClientSession() as session:
            return await EmulatorApi(session, running).update(campaign_id, body)

    status, answer = asyncio.run(put())
    assert status == 200, answer
