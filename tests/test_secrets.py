"""Secrets and trust, end to end.

- Every command (validate, plan in each format and --out, a signed plan with --prune, apply
  fresh and saved, pull, and
  runs that fail: a wrong secret, a refused JWT, an unreachable host, retries under faults)
  runs with a known client secret, and once with KORE_JWT: stdout, stderr, every log record
  (DEBUG, every logger) and every file written under the working folder (plan files, pulled
  files, the cache) are scanned for the secret, the JWT and any JWT-shaped string.
- Plan and cache files are owner-only (0600), the cache folder is not readable by others.
- TLS: a self-signed https host is refused in one line after one connection (no retry storm),
  and no flag or environment variable turns verification off; http:// only on loopback, on
  every command path.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import ssl
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from campsync.cli import build_parser, main
from campsync.config.target import check_host
from campsync.emulator.auth import encode_hs256
from campsync.emulator.runner import RunningEmulator
from campsync.errors import ConfigError
from campsync.sync.signing import CACHE_KEY_LABEL, KEY_LABEL, derive_key
from tests.fixtures_emulator import TEST_CLIENT_SECRET, campaign_body, seed_ready
from tests.test_faults import fast_retries, set_faults

JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+")
PACKAGE = Path(__file__).resolve().parent.parent / "campsync"
WRONG_SECRET = "wrong-secret-but-long-enough-0123456789abcdef"


@dataclass
class Run:
    args: tuple[str, ...]
    code: int
    out: str
    err: str


class Scanner:
    """Runs commands in-process and keeps everything they printed or logged."""

    def __init__(
        self, root: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
    ) -> None:
        self.root = root
        self.capsys = capsys
        self.caplog = caplog
        self.runs: list[Run] = []

    def cli(self, *args: str) -> Run:
        self.capsys.readouterr()
        code = main(list(args))
        captured = self.capsys.readouterr()
        run = Run(args, code, captured.out, captured.err)
        self.runs.append(run)
        return run

    def texts(self) -> Iterator[tuple[str, str]]:
        for run in self.runs:
            yield f"stdout of {run.args}", run.out
            yield f"stderr of {run.args}", run.err
        for record in self.caplog.records:
            text = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                text += f" {record.exc_info[1]!r} {record.exc_info[1]}"
            yield f"log {record.name}", text
        for path in sorted(self.root.rglob("*")):
            if path.is_file():
                yield str(path), path.read_bytes().decode("utf-8", errors="replace")

    def assert_clean(self, *secrets: str) -> None:
        checked = 0
        for where, text in self.texts():
            checked += 1
            for secret in secrets:
                assert secret not in text, f"secret in {where}"
            assert not JWT_SHAPE.search(text), f"JWT-shaped string in {where}: {text[:300]}"
        assert checked > 10


@pytest.fixture
def scanner(
    cli_env: RunningEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> Scanner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CAMPSYNC_CACHE_DIR", raising=False)
    caplog.set_level(logging.DEBUG)  # every logger, campsync's, aiohttp's, asyncio's
    fast_retries(monkeypatch)
    return Scanner(tmp_path, capsys, caplog)


def prepare(running: RunningEmulator, root: Path) -> None:
    """One campaign to update, one to create, one unmanaged (for pull)."""
    seed_ready(running, campaign_body("Spring Renewals"), campaign_body("Not Described"))
    folder = root / "campaigns"
    folder.mkdir()
    body = campaign_body("Spring Renewals", description="Changed.")
    (folder / "spring.yaml").write_text(json.dumps(body), encoding="utf-8")
    (folder / "new.yaml").write_text(json.dumps(campaign_body("Brand New")), encoding="utf-8")


def run_every_command(scanner: Scanner, running: RunningEmulator) -> None:
    cli = scanner.cli
    assert cli("validate").code == 0
    assert cli("plan").code == 0
    assert cli("plan", "--json", "--out", "plan.json").code == 0
    assert cli("plan", "--format", "markdown", "--out", "plan.md.json").code == 0
    assert cli("plan", "--detailed-exitcode").code == 2
    assert cli("plan", "--prune", "--out", "prune.json").code == 0  # a delete, signed or not
    assert cli("apply", "plan.json").code == 0
    (scanner.root / "campaigns" / "spring.yaml").write_text(
        json.dumps(campaign_body("Spring Renewals", description="Changed again.")),
        encoding="utf-8",
    )
    # Retries under faults leave log lines: they must carry no token either.
    set_faults(running, fail_rate=0.3)
    assert cli("apply", "--auto-approve").code == 0
    set_faults(running, fail_rate=0)
    (scanner.root / "pulled").mkdir()
    assert cli("pull", "pulled").code == 0
    assert (scanner.root / "pulled" / "not-described.yaml").exists()


def assert_private_files(root: Path) -> None:
    for plan in ("plan.json", "plan.md.json", "prune.json"):
        assert stat.S_IMODE((root / plan).stat().st_mode) == 0o600
    cache = root / ".campsync" / "cache"
    assert cache.is_dir()
    assert stat.S_IMODE(cache.stat().st_mode) & 0o077 == 0
    cached = [p for p in cache.rglob("*") if p.is_file() and p.name != ".gitignore"]
    assert cached, "the cache wrote nothing"
    for path in cached:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_no_secret_anywhere_with_a_client_secret(
    scanner: Scanner, cli_env: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepare(cli_env, scanner.root)
    run_every_command(scanner, cli_env)
    assert_private_files(scanner.root)
    signed = json.loads((scanner.root / "prune.json").read_text())
    assert signed["signature"].startswith("hmac-sha256:")
    assert [c["action"] for c in signed["changes"]] == ["create", "update", "delete"]

    # Failing runs: the platform refuses the credentials; nobody answers.
    monkeypatch.setenv("KORE_CLIENT_SECRET", WRONG_SECRET)
    refused = scanner.cli("plan", "--refresh")
    assert refused.code == 1 and "refused the credentials" in refused.err
    assert scanner.cli("apply", "--auto-approve").code == 1
    monkeypatch.setenv("KORE_CLIENT_SECRET", TEST_CLIENT_SECRET)
    monkeypatch.setenv("KORE_HOST", f"http://127.0.0.1:{closed_port()}")
    unreachable = scanner.cli("plan", "--refresh")
    assert unreachable.code == 1 and "could not reach" in unreachable.err
    # A signature made with another secret is refused without naming either.
    monkeypatch.setenv("KORE_CLIENT_SECRET", WRONG_SECRET)
    forged = scanner.cli("apply", "prune.json")
    assert forged.code == 1 and "another client secret" in forged.err
    # The keys of plan signatures and of the cache's tags are as secret as the secret.
    keys = [
        derive_key(s, label).hex()
        for s in (TEST_CLIENT_SECRET, WRONG_SECRET)
        for label in (KEY_LABEL, CACHE_KEY_LABEL)
    ]
    scanner.assert_clean(TEST_CLIENT_SECRET, WRONG_SECRET, *keys)


def test_no_jwt_anywhere_with_kore_jwt(
    scanner: Scanner, cli_env: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = cli_env.config
    now = int(time.time())
    claims: dict[str, Any] = {"appId": config.client_id, "iat": now, "exp": now + 600}
    token = encode_hs256(claims, config.client_secret)  # no jti: may be sent many times
    monkeypatch.setenv("KORE_JWT", token)
    monkeypatch.delenv("KORE_CLIENT_SECRET")
    prepare(cli_env, scanner.root)
    run_every_command(scanner, cli_env)
    assert_private_files(scanner.root)
    assert "signature" not in json.loads((scanner.root / "prune.json").read_text())
    assert any("the saved plan is not signed" in run.err for run in scanner.runs)

    forged = encode_hs256(claims, WRONG_SECRET)
    monkeypatch.setenv("KORE_JWT", forged)
    refused = scanner.cli("plan", "--refresh")
    assert refused.code == 1 and "KORE_JWT" in refused.err
    scanner.assert_clean(token, forged, token.split(".")[2], TEST_CLIENT_SECRET)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# --- TLS --------------------------------------------------------------------------------


@dataclass
class TlsServer:
    url: str
    connections: list[int]


@pytest.fixture
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    """An https server on 127.0.0.1 with a self-signed certificate; counts connections."""
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    connections: list[int] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            connections.append(1)
            conn.settimeout(2)
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1024)
            except (OSError, ssl.SSLError):
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield TlsServer(f"https://127.0.0.1:{listener.getsockname()[1]}", connections)
    finally:
        stop.set()
        thread.join()
        listener.close()


INSECURE_ENV = {
    "PYTHONHTTPSVERIFY": "0",
    "CAMPSYNC_INSECURE": "1",
    "CAMPSYNC_TLS_VERIFY": "0",
    "CAMPSYNC_SSL_VERIFY": "false",
    "KORE_INSECURE": "1",
    "KORE_TLS_VERIFY": "0",
    "SSL_VERIFY": "0",
    "NODE_TLS_REJECT_UNAUTHORIZED": "0",
    "CURL_CA_BUNDLE": "",
    "REQUESTS_CA_BUNDLE": "",
}


@pytest.mark.parametrize("insecure_env", [False, True])
def test_a_self_signed_host_is_refused_once_in_one_line(
    self_signed: TlsServer,
    cli_env: RunningEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    insecure_env: bool,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "campaigns").mkdir()
    (tmp_path / "campaigns" / "a.yaml").write_text(json.dumps(campaign_body()))
    monkeypatch.setenv("KORE_HOST", self_signed.url)
    if insecure_env:  # variables other tools honour: none of them may switch checking off
        for key, value in INSECURE_ENV.items():
            monkeypatch.setenv(key, value)
    capsys.readouterr()
    code = main(["plan"])
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    assert captured.err.count("\n") == 1
    assert "TLS verification failed" in captured.err and "1 attempt" in captured.err
    assert len(self_signed.connections) == 1  # no retry storm


def test_no_option_turns_tls_verification_off() -> None:
    parser = build_parser()
    words = ("insecure", "verify", "ssl", "tls", "cert", "skip")
    options: list[str] = []
    for action in parser._actions:
        if isinstance(action.choices, dict):
            for command in action.choices.values():
                options += [o for a in command._actions for o in a.option_strings]
    assert "--host" in options and "--parallelism" in options
    assert not [o for o in options if any(w in o.lower() for w in words)]


def test_no_code_path_disables_tls_verification() -> None:
    forbidden = re.compile(
        r"ssl\s*=\s*False|verify_ssl|CERT_NONE|check_hostname\s*=\s*False|_create_unverified"
    )
    for path in sorted(PACKAGE.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            assert not forbidden.search(code), f"{path}:{number}: {line.strip()}"


# --- http:// only on loopback -------------------------------------------------------------

REFUSED_HOSTS = [
    "http://platform.kore.ai",
    "http://10.0.0.1",
    "http://0.0.0.0:8080",
    "http://[::ffff:10.0.0.1]",
    "http://127.0.0.1.nip.io",
    "http://localhost.example.com",
    "http://127.0.0.1@example.com",
    "http://example.com#@127.0.0.1",
    "http://example.com\\@127.0.0.1",
    "HTTP://example.com",
    "ws://127.0.0.1",
    # Where parsers disagree on the host, or the URL carries more than a host:
    "http://127.0.0.1\\@example.com",
    "http://user:pw@127.0.0.1",
    "http://127.0.0.1:99999",
    "http://127.0.0.1/?x=1",
    "http://127.0.0.1 /",
    "http://127.0.0.1\t",
]


@pytest.mark.parametrize("host", REFUSED_HOSTS)
def test_tricky_plain_http_hosts_are_refused(host: str) -> None:
    with pytest.raises(ConfigError):
        check_host(host)


@pytest.mark.parametrize("source", ["env", "flag", "config"])
@pytest.mark.parametrize(
    "command",
    [
        ("plan",),
        ("plan", "--out", "p.json"),
        ("apply", "--auto-approve"),
        ("apply", "p.json"),
        ("pull",),
    ],
)
def test_every_command_refuses_plain_http_off_loopback(
    cli_env: RunningEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    source: str,
    command: tuple[str, ...],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "campaigns").mkdir()
    (tmp_path / "campaigns" / "a.yaml").write_text(json.dumps(campaign_body()))
    host = "http://campsync-test.invalid"
    args = list(command)
    if source == "env":
        monkeypatch.setenv("KORE_HOST", host)
    else:
        monkeypatch.delenv("KORE_HOST")
        if source == "flag":
            args += ["--host", host]
        else:
            (tmp_path / "campsync.yaml").write_text(f"host: {host}\n")
    capsys.readouterr()
    code = main(args)
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    assert captured.err.count("\n") == 1
    assert "http:// is accepted only for a loopback host" in captured.err
    assert cli_env.store.stats()["total"] == 0
    assert not (tmp_path / "p.json").exists()


# --- tokens in the platform's data ------------------------------------------------------

# A JWT someone pasted into a campaign (a name, a description): data, not campsync's secret,
# but a token all the same; every printed output shows it redacted.
PASTED = encode_hs256({"sub": "someone", "iat": 1700000000}, "a-stranger-secret-0123456789ab")


def test_a_token_in_the_platform_data_is_redacted_in_every_printed_output(
    scanner: Scanner, cli_env: RunningEmulator
) -> None:
    seed_ready(
        cli_env,
        campaign_body("Spring Renewals", description=f"token {PASTED} pasted here"),
        campaign_body(f"Promo {PASTED[:30]}", description=PASTED),
    )
    cli_env.store.seed([{**campaign_body("Raw"), "name": f"Promo {PASTED}", "status": "Ready"}])
    folder = scanner.root / "campaigns"
    folder.mkdir()
    body = campaign_body("Spring Renewals", description="Changed.")
    (folder / "spring.yaml").write_text(json.dumps(body), encoding="utf-8")

    text = scanner.cli("plan")
    as_json = scanner.cli("plan", "--json")
    markdown = scanner.cli("plan", "--format", "markdown")
    applied = scanner.cli("apply", "--auto-approve")
    for run in (text, as_json, markdown, applied):
        assert run.code == 0, run.err
        assert PASTED not in run.out + run.err
        assert not JWT_SHAPE.search(run.out + run.err), run.out
    assert '~ description: "token [redacted] pasted here" -> "Changed."' in text.out
    assert text.out.count('  "Promo [redacted]"\n') == 2  # unmanaged names, a long one too
    assert PASTED[-12:] not in text.out  # nor the tail of one cut in the middle
    document = json.loads(as_json.out)  # still JSON
    (change,) = document["changes"]
    assert change["diff"][0]["before"] == "token [redacted] pasted here"
    assert "[redacted]" in markdown.out
