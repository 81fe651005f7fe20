"""Settings precedence (flag > environment > campsync.yaml), host rules, secret hygiene."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from campsync.config.settings import load_settings
from campsync.config.target import Credentials, Target, check_host
from campsync.errors import ConfigError, PlanFileError
from campsync.fsutil import write_atomic
from tests.fixtures_emulator import campaign_body
from tests.fixtures_workspace import Workspace

SECRET = "s3cr3t-value-never-printed"


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "campsync.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_flag_beats_env_beats_file(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        "host: https://file.example.com\nstreamId: st-file\naccountId: acc-file\n"
        "experienceFlows:\n  Survey: cf-1\n",
    )
    env = {"KORE_HOST": "https://env.example.com", "KORE_STREAM_ID": "st-env"}
    settings = load_settings(config_path=config, env=env, host="https://flag.example.com")
    assert settings.host == "https://flag.example.com"
    assert settings.stream_id == "st-env"
    assert settings.account_id == "acc-file"
    assert dict(settings.experience_flows) == {"Survey": "cf-1"}


def test_defaults_without_any_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(env={})
    assert settings.host == "https://platform.kore.ai"
    assert settings.rate_limit == 60
    assert settings.parallelism == 10


def test_explicit_missing_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(config_path=tmp_path / "nope.yaml", env={})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hots: https://x\n", "unknown field 'hots' \\(did you mean 'host'\\?\\)"),
        ("- a\n- b\n", "expected a mapping"),
        ("host: [1\n", r"campsync.yaml:\d+:\d+"),
        ("experienceFlows: [a]\n", "experienceFlows: must be a mapping"),
        ("streamId: 5\n", "streamId: must be a string"),
    ],
)
def test_bad_config_files_give_one_line(tmp_path: Path, text: str, message: str) -> None:
    config = write_config(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as info:
        load_settings(config_path=config, env={})
    assert "\n" not in str(info.value)
    assert re.match(rf"{re.escape(str(config))}:\d+:\d+: ", str(info.value)), str(info.value)


def test_a_config_error_points_at_the_value(tmp_path: Path) -> None:
    config = write_config(tmp_path, "host: https://x.kore.ai\nstreamId: 5\n")
    with pytest.raises(ConfigError) as info:
        load_settings(config_path=config, env={})
    assert str(info.value) == f"{config}:2:11: streamId: must be a string, not 5"
    config = write_config(tmp_path, "streamId: st-1\nhots: https://x\n")
    with pytest.raises(ConfigError, match=r"campsync.yaml:2:1: hots: unknown field 'hots'"):
        load_settings(config_path=config, env={})
    config = write_config(tmp_path, "base: &b st-1\nstreamId: *b\n")  # aliases are refused
    with pytest.raises(ConfigError, match=r"campsync.yaml:1:7: "):
        load_settings(config_path=config, env={})


@pytest.mark.parametrize(
    "host", ["http://127.0.0.1:8089", "http://localhost:1", "http://[::1]:80", "https://x.kore.ai"]
)
def test_hosts_accepted(host: str) -> None:
    assert check_host(host + "/") == host


@pytest.mark.parametrize(
    "host", ["http://platform.kore.ai", "http://10.0.0.1", "ftp://x", "nohost"]
)
def test_hosts_refused(host: str) -> None:
    with pytest.raises(ConfigError):
        check_host(host)


@pytest.mark.parametrize("value", ["0", "-3", "lots"])
def test_bad_rate_limit(value: str) -> None:
    with pytest.raises(ConfigError, match="CAMPSYNC_RATE_LIMIT"):
        load_settings(env={"CAMPSYNC_RATE_LIMIT": value}, config_path=None)


def test_credentials_never_show_secrets() -> None:
    creds = Credentials(client_id="cs-1", client_secret=SECRET, jwt="eyJhbGciOi.eyJzdWIi.sig")
    for text in (repr(creds), str(creds), repr(load_settings(env={"KORE_CLIENT_SECRET": SECRET}))):
        assert SECRET not in text
        assert "eyJ" not in text


def test_missing_credentials_named() -> None:
    settings = load_settings(env={"KORE_STREAM_ID": "st-1", "KORE_ACCOUNT_ID": "a"})
    with pytest.raises(ConfigError, match="KORE_CLIENT_ID and KORE_CLIENT_SECRET"):
        settings.require_remote()
    with pytest.raises(ConfigError, match="streamId"):
        load_settings(env={}).require_remote()


def test_write_atomic_private_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "plan.json"
    write_atomic(target, "one", private=True)
    write_atomic(target, "two", private=True)
    assert target.read_text() == "two"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["plan.json"]


def test_write_atomic_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    target.write_text("old")
    with pytest.raises(TypeError):
        write_atomic(target, 12345)  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.txt"]


def test_cache_dir_expands_the_home_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    config = write_config(tmp_path, "cacheDir: ~/.cache/campsync\n")
    assert load_settings(config_path=config, env={}).cache_dir == tmp_path / ".cache/campsync"
    from_env = load_settings(env={"CAMPSYNC_CACHE_DIR": "~/ci-cache"}, config_path=config)
    assert from_env.cache_dir == tmp_path / "ci-cache"


@pytest.mark.parametrize(
    ("host", "shown"),
    [
        ("http://user:pw-hunter2@example.com", "'http://***@example.com'"),
        ("https://admin:pw-hunter2@platform.kore.ai/", "'https://***@platform.kore.ai/'"),
        ("https://u:pw-hunter2/x@platform.kore.ai", "'https://***@platform.kore.ai'"),
        ("user:pw-hunter2@platform.kore.ai", "'***@platform.kore.ai'"),
        ("https://pw-hunter2@platform.kore.ai", "'https://***@platform.kore.ai'"),
    ],
)
def test_a_host_with_user_info_is_refused_without_echoing_it(host: str, shown: str) -> None:
    with pytest.raises(ConfigError) as caught:
        check_host(host)
    message = str(caught.value)
    assert "hunter2" not in message and "pw" not in message
    assert message.startswith(f"host {shown} ")


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("KORE_STREAM_ID", "st-1\r\nX-Injected: 1", "KORE_STREAM_ID holds a line break"),
        ("KORE_ACCOUNT_ID", "acc\n1", "KORE_ACCOUNT_ID holds a line break"),
        ("KORE_CLIENT_SECRET", "s3cr3t-\udcff\udcfe", "KORE_CLIENT_SECRET is not valid UTF-8"),
        ("KORE_CLIENT_ID", "cs-\udce9", "KORE_CLIENT_ID is not valid UTF-8"),
        ("KORE_CLIENT_ID", "cs-1\nx", "KORE_CLIENT_ID holds a line break"),
        ("KORE_JWT", "eyJh.eyJz.s\r\nX: 1", "KORE_JWT holds a line break"),
    ],
)
def test_settings_no_request_could_carry_are_one_line_naming_the_variable(
    ws: Workspace,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    expected: str,
) -> None:
    """They ended in "internal error: ValueError: ... header injection" or a
    UnicodeEncodeError."""
    monkeypatch.setenv(variable, value)
    ws.write("spring.yaml", campaign_body("Spring Renewals"))
    ws.store.reset_stats()
    for command in (("plan",), ("apply", "--auto-approve"), ("pull",)):
        result = ws.cli(*command)
        assert result.code == 1 and result.out == ""
        assert result.err.startswith(f"campsync: error: {expected}"), result.err
        assert result.err.count("\n") == 1 and "internal error" not in result.err
        if variable.startswith("KORE_CLIENT") or variable == "KORE_JWT":
            assert "(its value is not shown)" in result.err
            assert value[:6] not in result.err.replace(variable, "")
    assert ws.store.stats()["total"] == 0


def test_an_id_flag_with_a_line_break_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^--stream-id holds a line break"):
        load_settings(env={}, stream_id="st-1\nx", config_path=write_config(tmp_path, "{}\n"))


def test_a_target_is_built_once_with_the_one_normalisation(tmp_path: Path) -> None:
    target = Target.of("https://Platform.kore.ai:8443/", "st-1", "acc-1")
    assert target == Target("https://Platform.kore.ai:8443", "st-1", "acc-1")
    assert target.hostname == "platform.kore.ai"
    with pytest.raises(ConfigError, match="loopback"):
        Target.of("http://platform.kore.ai", "st-1", "acc-1")
    with pytest.raises(ConfigError, match=r"^the stream id holds a line break"):
        Target.of("https://platform.kore.ai", "st-1\r\nX: y", "acc-1")
    env = {"KORE_STREAM_ID": "st-9", "KORE_ACCOUNT_ID": "acc-9", "KORE_JWT": "eyJ.a.b"}
    settings = load_settings(env=env, config_path=write_config(tmp_path, "host: https://h.io/\n"))
    assert settings.target() == Target("https://h.io", "st-9", "acc-9")
    with pytest.raises(ConfigError, match="streamId"):
        load_settings(env={}, config_path=write_config(tmp_path, "{}\n")).target()


def test_the_environment_is_resolved_in_one_place(tmp_path: Path) -> None:
    """--env, else CAMPSYNC_ENV, else the saved plan's; another than the plan's is refused
    before campsync.yaml is read (here: there is none to read)."""
    config = write_config(tmp_path, "environments:\n  prod: {}\n  test: {}\n")
    chosen = {"CAMPSYNC_ENV": "test"}
    assert load_settings(config_path=config, env={}).environment is None
    assert load_settings(config_path=config, env=chosen).environment == "test"
    assert load_settings(config_path=config, env=chosen, environment="prod").environment == "prod"
    saved = load_settings(config_path=config, env={}, saved_environment="prod")
    assert saved.environment == "prod"
    missing = tmp_path / "nowhere.yaml"
    for env, flag in ((chosen, None), ({}, "test")):
        with pytest.raises(PlanFileError, match="made for environment 'prod', not for 'test'"):
            load_settings(config_path=missing, env=env, environment=flag, saved_environment="prod")
