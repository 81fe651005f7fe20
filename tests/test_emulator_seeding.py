"""`campsync emulator --seed FILE` refuses a campaign its API would refuse (issue 18, item
23): a pipeline test that starts from a campaign the platform could never hold tests
nothing. The admin seed route stays lenient on purpose (tests imitate odd platform data
with it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from campsync.cli import main
from campsync.emulator.runner import RunningEmulator, start_in_thread
from campsync.errors import ConfigError
from tests.fixtures_emulator import (
    campaign_body,
    emulator_test_config,
    platform_error,
    progressive_body,
)


def without(body: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key not in keys}


BROKEN = [
    (
        without(campaign_body("No strategy"), "dialingStrategy"),
        'campaign 2 ("No strategy"): dialingStrategy is required',
    ),
    (
        campaign_body("Bad priority", priority="9"),
        'campaign 2 ("Bad priority"): priority must be one of: 1, 2, 3, 4, 5',
    ),
    (
        without(campaign_body("No flow"), "experienceFlowName"),
        'campaign 2 ("No flow"): experienceFlowName is required for an Agentless campaign',
    ),
    (
        without(progressive_body("No queue"), "queue_name"),
        'campaign 2 ("No queue"): queue_name is required for a Progressive campaign',
    ),
    (
        campaign_body("Lost list", contactLists=["Nobody's List"]),
        'campaign 2 ("Lost list"): contact list(s) not found: Nobody\'s List',
    ),
    (
        without(campaign_body("Typeless"), "campaignType"),
        'campaign 2 ("Typeless"): campaignType must be one of: voice, sms',
    ),
    (
        {**campaign_body("Sleepy"), "status": "Sleeping"},
        'campaign 2 ("Sleepy"): status must be one of: Active, Completed',
    ),
    (
        campaign_body("FIRST"),
        'campaign 2 ("FIRST"): campaign 1 has the same name (names are unique, ignoring case)',
    ),
    (
        campaign_body("Line\nbreak"),
        r'campaign 2 ("Line\u000abreak"): priority',
    ),
    ("just a name", "campaign 2: each campaign must be an object"),
]


def seed_file(tmp_path: Path, broken: Any) -> Path:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps([campaign_body("First"), broken]), encoding="utf-8")
    return path


@pytest.mark.parametrize(("broken", "message"), BROKEN)
def test_a_seed_file_campaign_the_api_would_refuse_is_a_one_line_error(
    tmp_path: Path, broken: Any, message: str
) -> None:
    if isinstance(broken, dict) and broken["name"] == "Line\nbreak":
        broken["priority"] = "0"
    path = seed_file(tmp_path, broken)
    with pytest.raises(ConfigError) as caught:
        start_in_thread(emulator_test_config(seed_file=path))
    text = str(caught.value)
    assert text.startswith(f"{path}: {message}"), text
    assert "\n" not in text


def test_the_cli_refuses_such_a_seed_file_with_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = seed_file(tmp_path, campaign_body("Bad priority", priority="9"))
    assert main(["emulator", "--port", "0", "--seed", str(path)]) == 1
    err = capsys.readouterr().err
    assert err == (
        f'campsync: error: {path}: campaign 2 ("Bad priority"): '
        "priority must be one of: 1, 2, 3, 4, 5\n"
    )


def test_every_problem_of_the_campaign_is_named(tmp_path: Path) -> None:
    broken = {"name": "Sketch", "campaignType": "voice"}
    with pytest.raises(ConfigError) as caught:
        start_in_thread(emulator_test_config(seed_file=seed_file(tmp_path, broken)))
    problems = str(caught.value).split(": ", 2)[2].split("; ")
    assert problems[:3] == [
        "description is required",
        "contactLists: at least one contact list name is required",
        "dncLists.name is required",
    ]
    assert "dialingStrategy is required" in problems


@pytest.mark.parametrize("version", ["1.1", "1.3"])
def test_a_seed_file_is_read_as_yaml_1_2_only(tmp_path: Path, version: str) -> None:
    """%YAML 1.1 would read `010` as 8 (as campaign files, the directive is refused);
    %YAML 1.3 failed inside the YAML reader (an internal error)."""
    seed = tmp_path / "seed.yaml"
    seed.write_text(f"%YAML {version}\n---\n[]\n")
    message = f"{seed}:1:1: a seed file is read as YAML 1.2: no directives (%YAML, %TAG)"
    with pytest.raises(ConfigError) as caught:
        start_in_thread(emulator_test_config(seed_file=seed))
    assert str(caught.value) == message


async def test_a_valid_seed_file_loads_sms_and_preparing_campaigns_too(
    tmp_path: Path,
) -> None:
    path = tmp_path / "seed.yaml"
    items = [
        {**campaign_body("Texts"), "campaignType": "sms", "id": "cd-texts"},
        {**progressive_body("Warming up"), "status": "Preparing"},
    ]
    path.write_text("\n".join(f"- {json.dumps(item)}" for item in items), encoding="utf-8")
    with start_in_thread(emulator_test_config(seed_file=path)) as running:
        stored = {c["name"]: c for c in running.store.raw_campaigns()}
        assert stored["Texts"]["campaignType"] == "sms" and stored["Texts"]["_id"] == "cd-texts"
        assert stored["Warming up"]["status"] == "Preparing"


async def test_the_admin_seed_route_stays_lenient(
    emulator: RunningEmulator, session: aiohttp.ClientSession
) -> None:
    # What the seed file refuses, the admin route takes (names must still resolve): tests
    # seed half-made campaigns on purpose, as a platform might hold them.
    partial = without(campaign_body("Half made"), "dialingStrategy", "campaignType")
    async with session.post(f"{emulator.url}/_emulator/campaigns", json=[partial]) as response:
        assert response.status == 200
    unknown = campaign_body("Lost", contactLists=["Nobody"])
    async with session.post(f"{emulator.url}/_emulator/campaigns", json=[unknown]) as response:
        assert response.status == 400
        (message,) = platform_error(await response.json(), 400)
        assert message == "Lost: not found: contact list Nobody"
    assert [c["name"] for c in emulator.store.raw_campaigns()] == ["Half made"]
