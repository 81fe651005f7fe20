"""Two applies against one account (docs/reliability.md, "Two applies at once").

- Saved plans: both made from the same platform state; the first applied wins, the second
  is refused as stale (nothing written, exit 1), whatever it would have changed.
- Fresh applies racing (two processes): per campaign the last writer wins, with a whole
  body (never a mix of the two), and a name is never created twice.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from campsync.emulator.runner import start_in_thread
from tests.fixtures_emulator import campaign_body, emulator_test_config, seed_ready, subprocess_env
from tests.fixtures_workspace import Workspace


def test_the_loser_of_two_saved_plans_is_refused_and_writes_nothing(
    ws: Workspace, tmp_path: Path
) -> None:
    (cid,) = ws.seed(campaign_body("Spring Renewals"))
    ws.write("spring.yaml", campaign_body("Spring Renewals", description="From pipeline A."))
    ws.write("new.yaml", campaign_body("Brand New", description="From pipeline A."))
    assert ws.cli("plan", "--out", "a.json").code == 0
    # Pipeline B plans from the same platform state, with other files.
    ws.write("spring.yaml", campaign_body("Spring Renewals", description="From pipeline B."))
    ws.write("new.yaml", campaign_body("Brand New", description="From pipeline B."))
    assert ws.cli("plan", "--out", "b.json").code == 0

    first = ws.cli("apply", "a.json")
    assert first.code == 0, first.out + first.err
    ws.store.reset_stats()
    second = ws.cli("apply", "b.json")

    assert second.code == 1
    assert "out of date" in second.err and "nothing was applied" in second.err
    assert "'Spring Renewals'" in second.err and "'Brand New'" in second.err
    assert second.err.count("\n") == 1
    assert ws.writes() == 0
    assert ws.stored(cid)["description"] == "From pipeline A."
    assert ws.stored_by_name("Brand New")["description"] == "From pipeline A."
    assert [r["name"] for r in ws.store.raw_campaigns()].count("Brand New") == 1


def test_the_loser_of_a_saved_plan_and_a_fresh_apply_is_refused(ws: Workspace) -> None:
    (cid,) = ws.seed(campaign_body("Spring Renewals"))
    ws.write("spring.yaml", campaign_body("Spring Renewals", description="Reviewed."))
    assert ws.cli("plan", "--out", "reviewed.json").code == 0
    ws.write("spring.yaml", campaign_body("Spring Renewals", description="Hotfix."))
    assert ws.cli("apply", "--auto-approve").code == 0  # someone else's fresh apply

    ws.store.reset_stats()
    late = ws.cli("apply", "reviewed.json")
    assert late.code == 1 and "changed" in late.err
    assert ws.writes() == 0
    assert ws.stored(cid)["description"] == "Hotfix."


def test_two_fresh_applies_at_once_last_writer_wins_with_whole_bodies(tmp_path: Path) -> None:
    with start_in_thread(emulator_test_config(latency_ms=50)) as emulator:
        (cid,) = seed_ready(emulator, campaign_body("Spring Renewals"))
        env = subprocess_env(emulator)
        bodies = {}
        processes = []
        for who, ring in (("a", 31), ("b", 47)):
            folder = tmp_path / who / "campaigns"
            folder.mkdir(parents=True)
            strategy = {**campaign_body()["dialingStrategy"], "maxRingTime": ring}
            body = campaign_body(
                "Spring Renewals", description=f"By {who}.", dialingStrategy=strategy
            )
            bodies[who] = body
            (folder / "spring.yaml").write_text(json.dumps(body))
            (folder / "new.yaml").write_text(json.dumps(campaign_body("Brand New")))
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "campsync", "apply", "--auto-approve"],
                    cwd=tmp_path / who,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
        results = [p.communicate(timeout=60) for p in processes]
        codes = [p.returncode for p in processes]

        assert 0 in codes, results
        for (out, err), code in zip(results, codes, strict=True):
            assert "Traceback" not in err
            if code:  # the loser of the create race is told, in one line
                assert "already exists" in out and err.count("\n") == 1, out + err
        names = [r["name"] for r in emulator.store.raw_campaigns()]
        assert sorted(names) == ["Brand New", "Spring Renewals"]
        live = emulator.store.get_campaign(cid)
        ring_time = live["dialingStrategy"]["maxRingTime"]
        winner = "a" if ring_time == 31 else "b"
        assert live["description"] == f"By {winner}."  # one whole body, never a mix
