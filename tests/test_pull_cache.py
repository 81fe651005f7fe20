"""`pull` reads through the body cache as `plan` does (issue 23): a campaign whose body the
cache holds for its listed updatedAt is not read again, what pull reads is kept for the next
run, and a campaign gone from the list is forgotten. Against the emulator, with the run's
cache (sync.cache.LocalCache) and the real client."""

from __future__ import annotations

from pathlib import Path

from campsync.config.settings import Settings, load_settings
from campsync.emulator.runner import RunningEmulator
from campsync.kore.client import KoreClient
from campsync.sync.cache import LocalCache
from campsync.sync.inventory import client_fetcher
from campsync.sync.pull.puller import PullPlan, prepare_pull
from tests.fixtures_emulator import campaign_body, campsync_env, flows_config, seed_ready


def settings_for(emulator: RunningEmulator, root: Path) -> Settings:
    config = root / "campsync.yaml"
    config.write_text(flows_config(), encoding="utf-8")
    env = {**campsync_env(emulator), "CAMPSYNC_CACHE_DIR": str(root / "cache")}
    return load_settings(config_path=config, env=env)


async def pulled(settings: Settings, folder: Path, *, overwrite: bool = False) -> PullPlan:
    """One pull's reading, as the engine runs it: a fresh run's cache, saved at the end."""
    cache = LocalCache(settings, files=False)
    async with KoreClient(settings.target(), settings.credentials) as client:
        plan = await prepare_pull(
            client,
            folder,
            settings,
            overwrite=overwrite,
            fetch_full=cache.fetcher(client_fetcher(client)),
            on_listed=cache.forget_unlisted,
        )
    cache.save()
    assert cache.take_warnings() == []
    return plan


def gets(emulator: RunningEmulator) -> int:
    count = int(emulator.store.stats()["by_kind"].get("get", 0))
    emulator.store.reset_stats()
    return count


def texts(plan: PullPlan) -> dict[str, str]:
    return {file.path.name: file.text for file in plan.files}


async def test_a_second_pull_reads_no_campaign_the_cache_holds(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    settings = settings_for(emulator, tmp_path)
    seed_ready(emulator, campaign_body("Spring Renewals"), campaign_body("Autumn Push"))
    emulator.store.reset_stats()

    first = await pulled(settings, tmp_path / "one")
    assert gets(emulator) == 2
    second = await pulled(settings, tmp_path / "two")
    assert gets(emulator) == 0
    assert texts(second) == texts(first) and len(first.files) == 2


async def test_after_a_platform_edit_a_pull_reads_only_the_campaign_edited(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    settings = settings_for(emulator, tmp_path)
    _, autumn = seed_ready(emulator, campaign_body("Spring Renewals"), campaign_body("Autumn Push"))
    await pulled(settings, tmp_path / "one")
    emulator.store.update_campaign(
        autumn, {**campaign_body("Autumn Push"), "description": "Edited on the platform."}
    )
    emulator.store.reset_stats()

    plan = await pulled(settings, tmp_path / "two")
    assert gets(emulator) == 1
    assert "Edited on the platform." in texts(plan)["autumn-push.yaml"]


async def test_a_pull_with_overwrite_reads_the_described_campaigns_through_the_cache(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    settings = settings_for(emulator, tmp_path)
    seed_ready(emulator, campaign_body("Spring Renewals"))
    folder = tmp_path / "campaigns"
    folder.mkdir()
    first = await pulled(settings, folder)
    for file in first.files:
        file.path.write_text(file.text, encoding="utf-8")
    emulator.store.reset_stats()

    again = await pulled(settings, folder, overwrite=True)
    assert gets(emulator) == 0
    assert again.unchanged == 1 and again.files == []


async def test_a_campaign_gone_from_the_list_is_forgotten_by_the_cache(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    settings = settings_for(emulator, tmp_path)
    spring, autumn = seed_ready(
        emulator, campaign_body("Spring Renewals"), campaign_body("Autumn Push")
    )
    await pulled(settings, tmp_path / "one")
    assert len(LocalCache(settings, files=False).campaigns) == 2
    emulator.store.delete_campaign(autumn)

    await pulled(settings, tmp_path / "two")
    kept = LocalCache(settings, files=False).campaigns
    assert len(kept) == 1
    assert kept.get(spring, emulator.store.get_campaign(spring)["updatedAt"]) is not None
