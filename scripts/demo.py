"""`make demo`: the whole campsync loop against a local emulator, no account needed.

Starts `campsync emulator` on a free port with a platform state that differs from
campaigns/ (one campaign drifted, one missing, one that no file describes), then runs
validate, plan, apply --auto-approve and plan again, showing each step's output, and
stops the emulator it started. Exits 0 only if every step did what it should.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from campsync.campaign.model import request_body
from campsync.campaign.reader import read_campaign_files
from campsync.emulator.config import EmulatorConfig

ROOT = Path(__file__).resolve().parent.parent
CAMPAIGNS = "campaigns"
CONFIG = "examples/emulator.campsync.yaml"  # maps the emulator's experience flows
UNMANAGED_NAME = "Legacy Spring Promo"
BOLD, DIM, RESET = ("\033[1m", "\033[2m", "\033[0m") if sys.stdout.isatty() else ("", "", "")


def say(text: str = "") -> None:
    print(text, flush=True)


def seed_state() -> tuple[list[dict[str, Any]], str, str, str]:
    """The platform as the demo starts it: drifted, missing and unmanaged campaigns."""
    result = read_campaign_files([ROOT / CAMPAIGNS])
    if result.problems or len(result.files) < 3:
        raise SystemExit("demo: campaigns/ must hold at least three valid campaign files")
    files = result.files
    drifted, missing = files[0], files[1]
    seed: list[dict[str, Any]] = []
    for campaign in files:
        if campaign is missing:
            continue
        body = request_body(campaign.data)
        if campaign is drifted:
            # Someone changed the ring time and the retry period in the web UI.
            strategy = body["dialingStrategy"]
            strategy["maxRingTime"] = 20 if strategy["maxRingTime"] != 20 else 25
            strategy["defaultRetryPeriod"] = strategy["defaultRetryPeriod"] + 50
        seed.append({**body, "status": "Ready"})
    unmanaged = copy.deepcopy(request_body(drifted.data))
    unmanaged["name"] = UNMANAGED_NAME
    unmanaged["description"] = "Created by hand in the web UI; no file describes it."
    seed.append({**unmanaged, "status": "Completed"})
    return seed, drifted.data["name"], missing.data["name"], drifted.file


def run_step(number: int, title: str, argv: Sequence[str], env: dict[str, str]) -> int:
    say(f"\n{BOLD}==> {number}. {title}{RESET}")
    say(f"{DIM}$ campsync {' '.join(argv)}{RESET}")
    done = subprocess.run([sys.executable, "-m", "campsync", *argv], cwd=ROOT, env=env, check=False)
    say(f"{DIM}(exit code {done.returncode}){RESET}")
    return done.returncode


def start_emulator(
    workdir: Path, seed_file: Path, env: dict[str, str]
) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "campsync",
            "emulator",
            "--port",
            "0",
            "--seed",
            str(seed_file),
            "--state",
            str(workdir / "state.json"),
            "--ready-after",
            "1",
        ],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline().strip()
    if "http://" not in first:
        process.kill()
        raise SystemExit(f"demo: the emulator did not start: {first or process.stderr.read()}")  # type: ignore[union-attr]
    return process, first[first.index("http://") :]


def main() -> int:
    demo = EmulatorConfig.from_env({})
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KORE_", "CAMPSYNC_"))}
    env.update(
        KORE_CLIENT_ID=demo.client_id,
        KORE_CLIENT_SECRET=demo.client_secret,
        KORE_STREAM_ID=demo.stream_id,
        KORE_ACCOUNT_ID=demo.account_id,
    )
    seed, drifted, missing, drifted_file = seed_state()
    with tempfile.TemporaryDirectory(prefix="campsync-demo-") as tmp:
        workdir = Path(tmp)
        seed_file = workdir / "seed.json"
        seed_file.write_text(json.dumps(seed, indent=2), encoding="utf-8")
        process, url = start_emulator(workdir, seed_file, env)
        env["KORE_HOST"] = url
        env["CAMPSYNC_CACHE_DIR"] = str(workdir / "cache")  # the demo leaves nothing behind
        try:
            say(f"{BOLD}campsync demo{RESET}: a local Kore.ai emulator is running at {url}")
            say(f"It holds {len(seed)} campaigns. Compared with the files in {CAMPAIGNS}/:")
            say(f"  - '{drifted}' was edited in the web UI (drift from {drifted_file})")
            say(f"  - '{missing}' does not exist on the platform yet")
            say(f"  - '{UNMANAGED_NAME}' exists only on the platform (unmanaged: never touched)")
            codes = [
                run_step(
                    1,
                    "Validate the files offline (no network, no credentials)",
                    ["validate", CAMPAIGNS],
                    env,
                ),
                run_step(
                    2,
                    "Plan: read the platform and show what differs",
                    ["plan", CAMPAIGNS, "--config", CONFIG],
                    env,
                ),
                run_step(
                    3,
                    "Apply: send only the changed campaigns",
                    ["apply", CAMPAIGNS, "--config", CONFIG, "--auto-approve"],
                    env,
                ),
                run_step(
                    4,
                    "Plan again: nothing left to change (exit code 0)",
                    ["plan", CAMPAIGNS, "--config", CONFIG, "--detailed-exitcode"],
                    env,
                ),
            ]
            stats = json.load(urllib.request.urlopen(f"{url}/_emulator/stats", timeout=5))
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(stats["by_kind"].items()) if n)
    say(f"\n{BOLD}Done.{RESET} The emulator answered {stats['total']} API requests ({kinds}).")
    say("Only the campaigns that differed were written, and the last plan read only the list")
    say("and the one campaign it had not seen yet: campsync remembers what did not change.")
    say("The emulator has been stopped.")
    if any(codes):
        say(f"demo: a step failed (exit codes {codes})")
        return 1
    say("Try it yourself: `campsync emulator` in one terminal, then export KORE_HOST and the")
    say("KORE_* values it prints (secret: see README) and run `campsync plan` in another.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
