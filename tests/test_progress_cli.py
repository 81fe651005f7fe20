"""Progress of real runs against the emulator, as a CI log shows it (stderr not a terminal):
a 100-campaign plan at 60 requests a minute on a fake clock, a subprocess, pull and apply.
stdout stays exactly what the command prints (the plan JSON with --json)."""

from __future__ import annotations

import functools
import itertools
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from campsync import terminal
from campsync.cli import main
from campsync.emulator.runner import RunningEmulator, start_in_thread
from campsync.kore import client as client_module
from campsync.kore.ratelimit import SlidingWindowLimiter
from campsync.sync.cache import sent as sent_module
from tests.fixtures_emulator import (
    campaign_body,
    campsync_env,
    emulator_test_config,
    flows_config,
    progressive_body,
    seed_ready,
    subprocess_env,
)
from tests.fixtures_workspace import Workspace
from tests.test_faults import set_faults
from tests.test_progress import FakeTime, TimedStream


def write_campaigns(root: Path, running: RunningEmulator, count: int, changed: int) -> None:
    """`count` campaigns on the platform and in files, the first `changed` edited in the files;
    campsync.yaml maps the flows (so that no warning joins the progress on stderr)."""
    names = [f"Campaign {n:03d}" for n in range(count)]
    seed_ready(running, *(campaign_body(name) for name in names))
    folder = root / "campaigns"
    folder.mkdir()
    for n, name in enumerate(names):
        body = campaign_body(name, description="Changed.") if n < changed else campaign_body(name)
        (folder / f"c{n:03d}.yaml").write_text(json.dumps(body), encoding="utf-8")
    (root / "campsync.yaml").write_text(flows_config(), encoding="utf-8")


@pytest.fixture
def limited_emulator() -> Iterator[RunningEmulator]:
    """An emulator with a rate limit, above what this test sends in real time."""
    with start_in_thread(emulator_test_config(rate_limit=150)) as running:
        yield running


def test_a_100_campaign_plan_at_60_a_minute_logs_progress_and_json_stays_clean(
    limited_emulator: RunningEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    write_campaigns(tmp_path, limited_emulator, 100, changed=10)
    for key, value in campsync_env(limited_emulator, rate_limit=60).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("KORE_JWT", raising=False)
    # The client's limiter (60 a minute) and the progress share one fake clock, so that the
    # run takes minutes on it and well under a second on the wall.
    fake = FakeTime()
    monkeypatch.setattr(terminal, "monotonic", fake.clock)
    monkeypatch.setattr(
        sent_module,
        "SlidingWindowLimiter",
        functools.partial(SlidingWindowLimiter, clock=fake.clock, sleep=fake.sleep),
    )
    log = TimedStream(fake)
    monkeypatch.setattr(sys, "stderr", log)

    code = main(["plan", "--json", "--detailed-exitcode"])

    out = capsys.readouterr().out
    assert code == 2
    plan = json.loads(out)  # stdout is exactly the plan JSON
    assert out.startswith("{") and out.endswith("}\n")
    assert plan["summary"]["update"] == 10 and plan["summary"]["unchanged"] == 90
    # the list, 100 reads and the contact lists the updates name (no queue), no 429
    assert limited_emulator.store.stats()["total"] == 102

    lines = log.lines()
    assert fake.now >= 60  # the rate limit held the reads back (on the fake clock)
    assert lines[0] == (
        0.0,
        "campsync: read 0 of 100 campaigns, about 2 min left at 60 requests/min",
    )
    assert re.fullmatch(r"campsync: read 100 of 100 campaigns in 1 min( \d+ s)?", lines[-1][1])
    assert any(text.endswith(" s for the rate limit") for _, text in lines)
    times = [t for t, _ in lines]
    assert max(b - a for a, b in itertools.pairwise(times)) <= 30, lines
    pattern = re.compile(
        r"campsync: read \d+ of 100 campaigns(, (about \d+ min|less than a minute) left at "
        r"60 requests/min(; waiting \d+ s for the rate limit)?| in .+)"
    )
    assert all(pattern.fullmatch(text) for _, text in lines), lines


def test_a_plan_in_a_subprocess_logs_progress_on_stderr_only(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    write_campaigns(tmp_path, emulator, 61, changed=0)
    done = subprocess.run(
        [sys.executable, "-m", "campsync", "plan", "--json"],
        cwd=tmp_path,
        env=subprocess_env(emulator),
        stdin=subprocess.DEVNULL,
        capture_output=True,  # stderr is a pipe, not a terminal: a CI log
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["summary"]["unchanged"] == 61
    lines = done.stderr.splitlines()
    assert lines[0] == (
        "campsync: read 0 of 61 campaigns, less than a minute left at 100,000 requests/min"
    )
    assert re.fullmatch(r"campsync: read 61 of 61 campaigns in \d+ s", lines[-1])
    assert all(line.startswith("campsync: read ") for line in lines)
    assert "\r" not in done.stderr and "\x1b" not in done.stderr


def test_pull_and_apply_log_their_phases(ws: Workspace) -> None:
    names = [f"Campaign {n:03d}" for n in range(61)]
    ws.seed(*(progressive_body(name) for name in names))

    pulled = ws.cli("pull")
    assert pulled.code == 0, pulled.err
    assert "campsync: pulled 0 of 61 campaigns, less than a minute left" in pulled.err
    assert re.search(r"^campsync: pulled 61 of 61 campaigns in \d+ s$", pulled.err, re.M)
    assert "pulled 0 of" not in pulled.out

    for path in sorted(ws.campaigns.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("description: ", "description: Now "), encoding="utf-8")
    # every campaign: past the threshold; --refresh: the pull left every body in the cache
    applied = ws.cli("apply", "--auto-approve", "--force", "--refresh")
    assert applied.code == 0, applied.err
    assert re.findall(r"^campsync: (\w+ \d+ of \d+ \w+)", applied.err, re.M) == [
        "read 0 of 61 campaigns",
        "read 61 of 61 campaigns",
        "applied 0 of 61 changes",
        "applied 61 of 61 changes",
    ]
    assert applied.out.count("applied: update ") == 61


def test_a_platform_slow_to_answer_is_told_in_the_log(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plan whose requests take long to be answered (here 0.6 s, the thresholds scaled
    down alike): the log says what campsync waits for, though the run is short."""
    monkeypatch.setattr(client_module, "SLOW_ANSWER", 0.2)
    monkeypatch.setattr(client_module, "REPORT_EVERY", 0.05)
    ws.seed(campaign_body("Spring Renewals"))
    ws.write("spring.yaml", campaign_body("Spring Renewals", description="Changed."))
    set_faults(ws.emulator, latency_ms=600)
    result = ws.cli("plan", "--json")
    assert result.code == 0
    assert json.loads(result.out)["summary"]["update"] == 1
    assert re.search(
        r"^campsync: waiting \d+ s so far for the platform to answer$", result.err, re.M
    )
