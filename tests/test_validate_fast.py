"""The cold path (issue 14): the quick path (libyaml events, jsonschema-rs, the window
rule) and the worker processes give exactly the outcome of the careful, serial path:
the same problems, messages and locations in the same order, the same data with the same
types, the same positions of names and ids."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campsync.campaign import merged, reader, validation
from campsync.campaign.environment import Environment
from campsync.campaign.parallel import WorkerPool
from campsync.campaign.reader import read_campaign_files
from campsync.campaign.validation import (
    FileCheck,
    ValidationResult,
    check_chunk,
    check_text,
    refused,
)
from campsync.campaign.yamlio import (
    YamlLoadError,
    load_plain,
    load_yaml_text_carefully,
    read_text,
)
from tests.test_cache_fast_loader import typed

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
CASES = [
    DATA / "valid",
    ROOT / "campaigns",
    *sorted(p for kind in ("invalid", "hostile") for p in (DATA / kind).iterdir() if p.is_dir()),
]


def outcome(result: ValidationResult) -> Any:
    return (
        [str(problem) for problem in result.problems],
        [(f.file, typed(f.data), f.digest) for f in result.files],
    )


def check_outcome(check: FileCheck) -> Any:
    data = None if check.campaign is None else typed(check.campaign.data)
    return data, [str(p) for p in check.problems], check.name_at, check.id_at


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_quick_and_careful_paths_give_the_same_result(
    case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(case)
    quick = read_campaign_files([Path(".")], workers=1)
    careful = read_campaign_files([Path(".")], quick=False, workers=1)
    assert outcome(quick) == outcome(careful)


def test_the_quick_path_passes_the_valid_files_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """Else the comparison above would hold trivially: no valid file reaches jsonschema."""

    def no_jsonschema(file: str, document: Any) -> Any:
        raise AssertionError(f"{file} went to jsonschema")

    monkeypatch.setattr(validation, "check_document", no_jsonschema)
    for folder in (DATA / "valid", ROOT / "campaigns"):
        assert read_campaign_files([folder], workers=1).ok
    ordinary = (DATA / "valid" / "all-seven-days-flow-style.yaml").read_text(encoding="utf-8")
    assert load_plain(ordinary) is not None


def test_a_file_with_a_bad_window_takes_the_careful_path() -> None:
    text = (DATA / "invalid" / "window-end-before-start" / "campaign.yaml").read_text()
    assert check_outcome(check_text(text, "f")) == check_outcome(check_text(text, "f", quick=False))
    assert check_text(text, "f").problems


def merged_check(path: Path, environment: Environment) -> FileCheck:
    """The file at `path`, read and checked with the environment's overrides merged."""
    try:
        text = read_text(path)
    except YamlLoadError as exc:
        return refused(path.name, exc.line, exc.column, exc.reason)
    return merged.check_merged(text, path.name, environment, "d")


def merged_outcome(check: FileCheck) -> Any:
    data = None if check.campaign is None else typed(check.campaign.data)
    problems = [str(p) for p in check.problems]
    in_config = [(str(found.problem), found.campaign) for found in check.in_config]
    return data, problems, in_config, check.name, check.name_at, check.id_at


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"*": {"dialingStrategy": {"callerId": {"phoneNumber": "+14845550100"}}}},
        {"*": {"priority": 99, "schedule": None}},
        {"*": {"dialingMode": "Agentless", "queue_name": None, "maxSkips": None}},
    ],
    ids=["none", "caller-id", "bad-priority", "agentless"],
)
def test_merged_quick_and_careful_paths_give_the_same_result(
    overrides: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With overrides too, the quick path (load_plain's data, jsonschema-rs and the window
    rule on the merged campaign) gives the careful path's outcome."""
    environment = Environment("staging", overrides=overrides)
    files = sorted(p for case in CASES for p in case.rglob("*") if p.suffix in (".yaml", ".yml"))
    quick = [merged_outcome(merged_check(p, environment)) for p in files]
    monkeypatch.setattr(merged, "load_plain", lambda text: None)
    monkeypatch.setattr(merged, "passes_quickly", lambda data: False)
    careful = [merged_outcome(merged_check(p, environment)) for p in files]
    assert quick == careful
    assert any(outcome[1] == [] for outcome in careful)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="ab:-[]{}, \n'\"#|>?.01yestrunl\\", max_size=60)
    | st.builds("name: {}\nx: {}\n".format, st.text(max_size=12), st.text(max_size=12)),
)
def test_the_event_loader_reads_what_the_careful_loader_reads(text: str) -> None:
    plain = load_plain(text)
    if plain is None:
        return
    document = load_yaml_text_carefully(text)
    assert document is not None
    assert typed(plain.data) == typed(document.data)
    if isinstance(document.data, dict):
        assert plain.positions == {key: document.locate([key]) for key in plain.positions}
        texts = {key for key, value in document.data.items() if isinstance(value, str) and value}
        assert texts <= set(plain.positions)


def test_worker_processes_give_the_serial_result(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)
    serial = read_campaign_files([Path(".")], workers=1)
    spread = read_campaign_files([Path(".")], workers=2)
    assert outcome(spread) == outcome(serial)
    assert len(serial.files) > 100 and serial.problems


def test_checking_each_chunk_as_it_is_read_gives_the_same_result_and_memo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In one process, files are checked a chunk at a time while the rest are read (so
    that their texts are not all held at once): nothing of the outcome changes, nor what
    the memo remembers, nor in which order."""
    from campsync.sync.cache import FileCache

    key = b"a test key for the files store".ljust(32, b".")
    monkeypatch.chdir(DATA)
    whole = FileCache(tmp_path / "whole", key=key)
    monkeypatch.setattr(reader, "CHUNK_FILES", 10**9)
    at_once = read_campaign_files([Path(".")], memo=whole, workers=1)
    chunked = FileCache(tmp_path / "chunked", key=key)
    monkeypatch.setattr(reader, "CHUNK_FILES", 3)
    in_chunks = read_campaign_files([Path(".")], memo=chunked)
    assert outcome(in_chunks) == outcome(at_once)
    assert len(at_once.files) > 100 and at_once.problems
    assert whole.save() is None and chunked.save() is None
    assert chunked.path.read_bytes() == whole.path.read_bytes()


def test_the_pool_really_runs_the_chunks_in_workers() -> None:
    items = [(f"f{i}.yaml", (DATA / "valid" / "preview.yaml").read_text(), "d") for i in range(6)]
    items.append(("bad.yaml", "name: [\n", "e"))
    chunks = [items[:3], items[3:5], items[5:]]
    with WorkerPool(2, validation.warm) as pool:
        spread = pool.map(check_chunk, chunks, True)
        pids = pool.map(worker_facts, [[1], [2]])
    assert spread is not None and pids is not None
    assert [check_outcome(c) for c in spread] == [check_outcome(c) for c in check_chunk(items)]
    assert all(facts["pid"] != os.getpid() for facts in pids)


def worker_facts(chunk: list[int]) -> list[dict[str, Any]]:
    """Run in a worker: what it can see and how it handles Ctrl-C; it also tries to print."""
    print("a worker must not print", flush=True)
    print("nor to stderr", file=sys.stderr, flush=True)
    with open("/proc/self/environ", "rb") as handle:
        initial = handle.read()
    return [
        {
            "pid": os.getpid(),
            "environ": dict(os.environ),
            "initial": initial,
            "sigint_ignored": signal.getsignal(signal.SIGINT) == signal.SIG_IGN,
        }
        for _ in chunk
    ]


def test_workers_get_no_secrets_never_print_and_ignore_ctrl_c(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    secret = "s3cr3t-value-for-the-worker-test"
    monkeypatch.setenv("KORE_CLIENT_SECRET", secret)
    monkeypatch.setenv("KORE_STAGING_CLIENT_SECRET", secret)  # any name: only an allowlist passes
    with WorkerPool(2) as pool:
        facts = pool.map(worker_facts, [[1], [2]])
    assert facts is not None and len(facts) == 2
    for seen in facts:
        assert not [name for name in seen["environ"] if name.startswith("KORE")]
        assert secret.encode() not in seen["initial"]
        assert seen["sigint_ignored"]
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert os.environ["KORE_CLIENT_SECRET"] == secret  # the parent's is restored
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_no_pool_means_the_caller_does_the_work() -> None:
    pool = WorkerPool(2)
    assert pool.map(check_chunk, [[]], True) is None  # never entered: no processes


def _children(pid: int) -> list[int]:
    with contextlib.suppress(OSError):
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        return [int(child) for child in text.split()]
    return []


def test_ctrl_c_during_a_spread_validate_ends_in_one_line(tmp_path: Path) -> None:
    """Ctrl-C reaches the whole foreground process group, workers included: the user
    sees only the CLI's one line and exit 1."""
    folder = tmp_path / "campaigns"
    folder.mkdir()
    text = (DATA / "valid" / "preview.yaml").read_text(encoding="utf-8")
    for i in range(reader.PARALLEL_MIN_FILES * 2):
        named = text.replace("name: ", f"name: N{i} ", 1)
        (folder / f"c{i:05d}.yaml").write_text(named, encoding="utf-8")
    # `campsync validate`, with workers even on a machine where it would use none
    script = (
        "import sys; from campsync.campaign import reader; "
        "reader.default_workers = lambda files: 2; "
        "from campsync.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    command = [sys.executable, "-c", script, "validate", str(folder)]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while len(_children(process.pid)) < 2 and process.poll() is None:
        assert time.monotonic() < deadline, "the workers never started"
        time.sleep(0.005)
    time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)  # as a terminal does
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert err == "campsync: interrupted\n"
    assert out == ""
