"""`campsync emulator` on the command line: startup lines, signals, bad arguments."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from campsync.cli import main
from campsync.emulator.config import (
    DEMO_ACCOUNT_ID,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_STREAM_ID,
    EmulatorConfig,
)
from tests.fixtures_emulator import EmulatorApi, campaign_body

KORE_VARS = ("KORE_CLIENT_ID", "KORE_CLIENT_SECRET", "KORE_STREAM_ID", "KORE_ACCOUNT_ID")


def start_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    clean = {k: v for k, v in os.environ.items() if k not in KORE_VARS}
    return subprocess.Popen(
        [sys.executable, "-m", "campsync", "emulator", "--port", "0", *args],
        env={**clean, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def first_line(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    return process.stdout.readline()


def finish(process: subprocess.Popen[str], signum: int) -> tuple[int, str, str]:
    """Signal the process and collect the rest of its output (read through the same
    buffered pipe object that first_line used, so nothing already buffered is lost)."""
    process.send_signal(signum)
    process.wait(timeout=20)
    assert process.stdout is not None and process.stderr is not None
    out, err = process.stdout.read(), process.stderr.read()
    process.stdout.close()
    process.stderr.close()
    return process.returncode, out, err


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_cli_prints_where_it_listens_serves_and_stops_cleanly(
    tmp_path: Path, signum: int
) -> None:
    state = tmp_path / "state.json"
    process = start_cli("--state", str(state))
    try:
        first = first_line(process)
        prefix = "campsync emulator listening on http://127.0.0.1:"
        assert first.startswith(prefix), first
        port = int(first.strip().removeprefix(prefix))
        assert port > 0
        config = EmulatorConfig.from_env({})
        running = _Remote(config, f"http://127.0.0.1:{port}")
        async with aiohttp.ClientSession() as session:
            api = EmulatorApi(session, running)
            campaign_id = await api.create_id(campaign_body("From the CLI"))
    finally:
        code, out, err = finish(process, signum)
    assert code == 0, err
    out = first + out
    assert DEMO_STREAM_ID in out and DEMO_ACCOUNT_ID in out and DEMO_CLIENT_ID in out
    assert DEMO_CLIENT_SECRET not in out + err
    assert "Traceback" not in err
    assert campaign_id in state.read_text()


async def test_cli_uses_the_environment_and_never_prints_the_secret() -> None:
    env = {"KORE_CLIENT_ID": "cid-123", "KORE_CLIENT_SECRET": "very-secret-value-xyz",
           "KORE_STREAM_ID": "st-env", "KORE_ACCOUNT_ID": "acc-env"}  # fmt: skip
    process = start_cli("--rate-limit", "5", env=env)
    first = first_line(process)
    code, out, err = finish(process, signal.SIGTERM)
    out = first + out
    assert code == 0
    assert "st-env" in out and "acc-env" in out and "cid-123" in out
    assert "very-secret-value-xyz" not in out + err


async def test_cli_queues_forbidden_and_body_timeout_flags() -> None:
    process = start_cli("--queues-forbidden", "--body-timeout", "5")
    try:
        first = first_line(process)
        url = first.strip().removeprefix("campsync emulator listening on ")
        running = _Remote(EmulatorConfig.from_env({}), url)
        async with aiohttp.ClientSession() as session:
            api = EmulatorApi(session, running)
            status, answer = await api.queues()
            assert status == 403 and "Configuration" in answer["errors"][0]["msg"]
            async with session.get(f"{url}/_emulator/faults") as response:
                assert (await response.json())["queues_forbidden"] is True
    finally:
        code, _, err = finish(process, signal.SIGTERM)
    assert code == 0, err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fail-rate", "2"], "--fail-rate must be between 0 and 1"),
        (["--drop-rate", "-0.1"], "--drop-rate must be between 0 and 1"),
        (["--lost-write-rate", "1.5"], "--lost-write-rate must be between 0 and 1"),
        (["--rate-limit", "-1"], "--rate-limit"),
        (["--latency-ms", "-5"], "--latency-ms"),
        (["--ready-after", "-1"], "--ready-after"),
        (["--seed", "/nonexistent/seed.yaml"], "cannot read the seed file"),
        (["--port", "70000"], "--port must be between 0 and 65535"),
        (["--body-timeout", "0"], "--body-timeout must be a positive number of seconds"),
    ],
)
def test_cli_bad_values_are_one_line_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["emulator", *args]) == 1
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("campsync: error:")


def test_cli_unparsable_value_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["emulator", "--rate-limit", "many"])
    assert caught.value.code == 1
    assert "invalid int value" in capsys.readouterr().err


def test_cli_port_in_use_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["emulator", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert err == f"campsync: error: port {port} on 127.0.0.1 is already in use\n"


class _Remote:
    """Enough of a RunningEmulator for EmulatorApi, for an emulator in another process."""

    def __init__(self, config: EmulatorConfig, url: str) -> None:
        self.config = config
        self.url = url
