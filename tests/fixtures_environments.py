"""pytest plugin: two emulators (two accounts with their own credentials, streams and ids) as
the environments `staging` and `production` of one campsync.yaml, and the process environment
a user would have (each environment's credentials under its own variable names, no KORE_*);
and `project`, a fresh folder to write campsync.yaml and campaign files in and validate."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from campsync.cli import main
from campsync.config.settings import VARIABLES
from campsync.emulator.catalog import default_catalog
from campsync.emulator.runner import RunningEmulator, start_in_thread
from tests.fixtures_emulator import emulator_test_config, wait_ready

# Each account's own identity: a token of one is refused by the other.
ACCOUNTS = {
    "staging": {
        "client_id": "cs-staging-client",
        "client_secret": "staging-secret-0123456789abcdef0123456789",
        "stream_id": "st-aaaaaaaa-1111-4111-8111-111111111111",
        "account_id": "staging-account",
    },
    "production": {
        "client_id": "cs-production-client",
        "client_secret": "production-secret-0123456789abcdef012345",
        "stream_id": "st-bbbbbbbb-2222-4222-8222-222222222222",
        "account_id": "production-account",
    },
}
CALLER_IDS = {"staging": "+14845550100", "production": "+14845550199"}


def secret_names(environment: str) -> tuple[str, str]:
    """The variables campsync.yaml names for an environment's client id and secret."""
    upper = environment.upper()
    return f"KORE_{upper}_CLIENT_ID", f"KORE_{upper}_CLIENT_SECRET"


def secrets_of(environment: str) -> dict[str, str]:
    """The environment's credentials under the names campsync.yaml gives them."""
    client_id, client_secret = secret_names(environment)
    account = ACCOUNTS[environment]
    return {client_id: account["client_id"], client_secret: account["client_secret"]}


def environments_config(
    emulators: dict[str, RunningEmulator], overrides: dict[str, str] | None = None
) -> str:
    """campsync.yaml with the two environments, each with its target, credential variable
    names, flows, and a caller id for every campaign; `overrides` adds an environment's more
    override entries (YAML lines, indented as entries of `overrides:`)."""
    flows = "".join(
        f"      {name}: {flow_id}\n" for name, flow_id in default_catalog().experience_flows.items()
    )
    parts = ["environments:\n"]
    for name, running in emulators.items():
        client_id, client_secret = secret_names(name)
        parts.append(
            f"  {name}:\n"
            f"    host: {running.url}\n"
            f"    streamId: {running.config.stream_id}\n"
            f"    accountId: {running.config.account_id}\n"
            "    credentials:\n"
            f"      clientId: {client_id}\n"
            f"      clientSecret: {client_secret}\n"
            f"    experienceFlows:\n{flows}"
            "    overrides:\n"
            '      "*":\n'
            f'        dialingStrategy: {{callerId: {{phoneNumber: "{CALLER_IDS[name]}"}}}}\n'
            + (overrides or {}).get(name, "")
        )
    return "".join(parts)


@dataclass
class TwoAccounts:
    staging: RunningEmulator
    production: RunningEmulator

    @property
    def by_name(self) -> dict[str, RunningEmulator]:
        return {"staging": self.staging, "production": self.production}

    def wait_ready(self, timeout: float = 5.0) -> None:
        """Until no campaign of either account is Preparing (Ready after 0.2 s here)."""
        for running in self.by_name.values():
            wait_ready(running, timeout)


def desk_of_environments(monkeypatch: pytest.MonkeyPatch) -> None:
    """The process environment of a desk with environments: no KORE_* variable (they would
    win over campsync.yaml), no chosen environment, cache or CI, no pacing by campsync."""
    for name in (*VARIABLES, "GITHUB_ACTIONS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CAMPSYNC_RATE_LIMIT", "100000")


@pytest.fixture
def two_accounts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TwoAccounts]:
    """Both emulators, the working directory a fresh folder, and no KORE_* variable set (they
    would win over campsync.yaml): only the environments' own credential variables."""
    desk_of_environments(monkeypatch)
    monkeypatch.chdir(tmp_path)
    with (
        start_in_thread(emulator_test_config(**ACCOUNTS["staging"])) as staging,
        start_in_thread(emulator_test_config(**ACCOUNTS["production"])) as production,
    ):
        yield TwoAccounts(staging, production)


class Project:
    """A fresh working folder: campsync.yaml, campaign files, and `campsync validate` in it."""

    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.root = root
        self.capsys = capsys

    def config(self, text: str) -> None:
        (self.root / "campsync.yaml").write_text(text, encoding="utf-8")

    def campaign(self, relative: str, body: dict[str, Any] | str) -> Path:
        """A campaign file under campaigns/: `body` as JSON, or a text as it is."""
        path = self.root / "campaigns" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        text = body if isinstance(body, str) else json.dumps(body, indent=2) + "\n"
        path.write_text(text, encoding="utf-8")
        return path

    def validate(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["validate", *args])
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Project:
    monkeypatch.chdir(tmp_path)
    for name in ("CAMPSYNC_ENV", "GITHUB_ACTIONS"):
        monkeypatch.delenv(name, raising=False)
    return Project(tmp_path, capsys)
