"""`pull` reads through the body cache as `plan` does (issue 23): a campaign whose body the
cache holds for its listed updatedAt is not read again, what pull reads is kept for the next
run (a plan after a pull reads nothing), and a campaign gone from the list is forgotten.
`campsync pull` in process against the emulator, its get-one calls counted there."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from pathlib import Path

import pytest

from campsync.cli import main
from campsync.config.job import Flags, load_job
from campsync.emulator.auth import encode_hs256
from campsync.emulator.runner import RunningEmulator
from campsync.sync.cache import LocalCache
from campsync.sync.engine import Sync
from tests.fixtures_emulator import campaign_body, flows_config, seed_ready
from tests.fixtures_environments import TwoAccounts, environments_config, secrets_of

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "campsync.yaml").write_text(flows_config(), encoding="utf-8")
    return tmp_path


def pull(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code = main(["pull", *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def gets(emulator: RunningEmulator) -> int:
    count = int(emulator.store.stats()["by_kind"].get("get", 0))
    emulator.store.reset_stats()
    return count


def cached_bodies() -> LocalCache:
    job = load_job(Flags())
    return LocalCache(job.cache_dir, job.target, job.credentials, files=False)


def test_a_second_pull_reads_no_campaign_the_cache_holds(
    cli_env: RunningEmulator, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_ready(cli_env, campaign_body("Spring Renewals"), campaign_body("Autumn Push"))
    cli_env.store.reset_stats()

    pull(capsys, "one")
    assert gets(cli_env) == 2
    pull(capsys, "two")
    assert gets(cli_env) == 0
    for name in ("spring-renewals.yaml", "autumn-push.yaml"):
        assert (workdir / "two" / name).read_text() == (workdir / "one" / name).read_text()


def test_after_a_platform_edit_a_pull_reads_only_the_campaign_edited(
    cli_env: RunningEmulator, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, autumn = seed_ready(cli_env, campaign_body("Spring Renewals"), campaign_body("Autumn Push"))
    pull(capsys, "one")
    edited = {**campaign_body("Autumn Push"), "description": "Edited on the platform."}
    cli_env.store.update_campaign(autumn, edited)
    cli_env.store.reset_stats()

    pull(capsys, "two")
    assert gets(cli_env) == 1
    assert "Edited on the platform." in (workdir / "two" / "autumn-push.yaml").read_text()


def test_a_plan_after_a_pull_reads_no_campaign_and_neither_does_a_pull_overwrite(
    cli_env: RunningEmulator, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_ready(cli_env, campaign_body("Spring Renewals"), campaign_body("Autumn Push"))
    pull(capsys, "campaigns")
    cli_env.store.reset_stats()

    assert main(["plan", "--detailed-exitcode"]) == 0
    capsys.readouterr()
    assert gets(cli_env) == 0
    assert "already up to date" in pull(capsys, "--overwrite", "campaigns")
    assert gets(cli_env) == 0


def test_a_campaign_gone_from_the_list_is_forgotten_by_the_cache(
    cli_env: RunningEmulator, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spring, autumn = seed_ready(
        cli_env, campaign_body("Spring Renewals"), campaign_body("Autumn Push")
    )
    pull(capsys, "one")
    assert len(cached_bodies().campaigns) == 2
    cli_env.store.delete_campaign(autumn)

    pull(capsys, "two")
    kept = cached_bodies().campaigns
    assert len(kept) == 1
    assert kept.get(spring, cli_env.store.get_campaign(spring)["updatedAt"]) is not None


def pairs_found_equal(workdir: Path) -> dict[str, object]:
    (store,) = (workdir / ".campsync" / "cache").glob("same-*.json")
    pairs: dict[str, object] = json.loads(store.read_text())["pairs"]
    return pairs


def test_a_pull_or_a_saved_plans_apply_keeps_the_pairs_a_plan_found_equal(
    cli_env: RunningEmulator, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Neither asks which pairs are equal: the next plan still neither reads nor compares
    the campaigns it found equal (the store is the plans' alone)."""
    seed_ready(cli_env, campaign_body("Spring Renewals"), campaign_body("Autumn Push"))
    pull(capsys, "campaigns")
    assert main(["plan", "campaigns", "--out", "plan.json"]) == 0
    found = pairs_found_equal(workdir)
    assert len(found) == 2

    pull(capsys, "elsewhere")
    assert pairs_found_equal(workdir) == found
    assert main(["apply", "plan.json"]) == 0
    capsys.readouterr()
    assert pairs_found_equal(workdir) == found


def tamper_bodies(workdir: Path, old: str, new: str) -> None:
    """Edit every cached body's text, keeping its updatedAt (and the file's shape)."""
    (store,) = (workdir / ".campsync" / "cache").glob("campaigns-*.json")
    text = store.read_text()
    assert old in text
    store.write_text(text.replace(old, new))


def test_a_tampered_body_cache_is_never_written_into_a_pulled_file(
    cli_env: RunningEmulator, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The body store is signed when there is a client secret: an edited one (a cache
    restored from another branch, say) is not used, so pull reads the bodies afresh."""
    seed_ready(cli_env, campaign_body("Spring Renewals"))
    pull(capsys, "one")
    real = campaign_body("Spring Renewals")["dialingStrategy"]["callerId"]["phoneNumber"]
    tamper_bodies(workdir, real, "+19005550199")
    cli_env.store.reset_stats()

    pull(capsys, "two")
    assert gets(cli_env) == 1
    pulled = (workdir / "two" / "spring-renewals.yaml").read_text()
    assert "+19005550199" not in pulled and real in pulled


def test_without_a_client_secret_pull_reads_every_body_afresh(
    cli_env: RunningEmulator,
    workdir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With KORE_JWT alone nothing can sign the body store: plans may still decide from it,
    but what pull writes into files is read from the platform."""
    seed_ready(cli_env, campaign_body("Spring Renewals"))
    pull(capsys, "one")
    now = int(time.time())
    claims = {"appId": cli_env.config.client_id, "iat": now, "exp": now + 600}  # no jti
    monkeypatch.setenv("KORE_JWT", encode_hs256(claims, cli_env.config.client_secret))
    monkeypatch.delenv("KORE_CLIENT_SECRET")
    cli_env.store.reset_stats()
    pull(capsys, "two")
    assert gets(cli_env) == 1


def test_a_pull_with_an_environment_checks_each_file_it_did_not_write_once(
    two_accounts: TwoAccounts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After writing, pull checks the environment's files again (merged with its overrides,
    the rules across files); a file it read before and did not write is not parsed again."""
    for name, value in secrets_of("staging").items():
        monkeypatch.setenv(name, value)
    (tmp_path / "campsync.yaml").write_text(environments_config(two_accounts.by_name))
    root = tmp_path / "campaigns"
    shutil.copytree(REPO / "campaigns", root)
    described = len(list(root.glob("*.yaml")))
    seed_ready(two_accounts.staging, campaign_body("Spring Renewals"))

    sync = Sync(load_job(Flags(environment="staging")), read_files=False)
    pulled = asyncio.run(sync.pull(root))
    assert [file.display for file in pulled.files] == ["campaigns/spring-renewals.yaml"]
    assert sync.write_pull(pulled, root) == []
    memo = sync.cache.files
    assert (memo.hits, memo.misses) == (described, described + 1)
