"""The CLI's outer promises: bad arguments exit 1 (2 is reserved), one-line errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from campsync.cli import main


def test_unknown_flag_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--no-such-flag"])
    assert info.value.code == 1
    assert "campsync: error:" in capsys.readouterr().err


def test_no_command_exits_1() -> None:
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 1


def test_help_lists_every_contract_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in ("validate", "plan", "apply", "pull", "emulator"):
        assert command in out


def test_module_entry_point_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "campsync", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert done.stdout.startswith("campsync ")
