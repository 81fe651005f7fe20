# ruff: noqa: E501  (the reference sample body below keeps its long line as sent)
"""pytest plugin: a real emulator on 127.0.0.1 for any test, and helpers to talk to it.

- `emulator`: a RunningEmulator (fresh per test; rate limit off, Ready after 0.2 s).
- `cli_env`: the same emulator, with the KORE_* environment pointing campsync at it.
- `emulator_token(running, jti=...)`: a JWT the emulator accepts.
- `emulator_headers(running, ...)`: the auth/accountid/iid headers of a platform call.
- `EmulatorApi(session, running)`: the platform's calls, answering (status, JSON body).
- `session`: an aiohttp client session; `api`: an EmulatorApi on it for `emulator`.
- `campaign_body()`, `progressive_body()`, `REFERENCE_SAMPLE_BODY`: request bodies.
- `flows_config()`: campsync.yaml that maps the emulator's experience flows.
- `platform_error(answer, code)`: the messages of an error answer, its shape checked.
- `raw_token(header, claims, secret)`: a JWT of JSON texts exactly as given.
- `two_emulators`: two emulators side by side, two accounts (own credentials, stream, account
  id and rate limit each); `running_pair(a=..., b=...)` starts such a pair with changes.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import os
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import urlencode

import aiohttp
import pytest

from campsync.emulator.auth import encode_hs256
from campsync.emulator.catalog import default_catalog
from campsync.emulator.config import EmulatorConfig
from campsync.emulator.runner import RunningEmulator, start_in_thread

TEST_CLIENT_ID = "cs-test-client"
TEST_CLIENT_SECRET = "campsync-test-secret-0123456789abcdef"  # >= 32 bytes: no PyJWT warning
TEST_STREAM_ID = "st-11111111-2222-4333-8444-555555555555"
TEST_ACCOUNT_ID = "test-account"


class EmulatorLike(Protocol):
    """What the helpers need of an emulator: its settings and URL (a RunningEmulator,
    or a stand-in for one running in another process)."""

    @property
    def config(self) -> EmulatorConfig: ...

    @property
    def url(self) -> str: ...


REPO = Path(__file__).resolve().parent.parent


# A target and client id for a test that sends no request (a Job needs them).
REMOTE = {"KORE_STREAM_ID": "st-1", "KORE_ACCOUNT_ID": "acc-1", "KORE_CLIENT_ID": "cs-1"}


def emulator_test_config(**overrides: Any) -> EmulatorConfig:
    """The tests' emulator settings: fixed ids, no rate limit, Ready after 0.2 s."""
    config = EmulatorConfig(
        client_id=TEST_CLIENT_ID,
        client_secret=TEST_CLIENT_SECRET,
        stream_id=TEST_STREAM_ID,
        account_id=TEST_ACCOUNT_ID,
        rate_limit=0,
        ready_after=0.2,
        random_seed=1234,
    )
    for key, value in overrides.items():
        if not hasattr(config, key):
            raise TypeError(f"unknown emulator setting {key!r}")
        setattr(config, key, value)
    return config


def emulator_token(
    running: EmulatorLike | EmulatorConfig,
    jti: str | None = None,
    *,
    lifetime: int = 600,
    **claims: Any,
) -> str:
    """A JWT the emulator accepts (a fresh jti unless one is given). Extra claims
    override the defaults, e.g. appId="someone-else" or exp=..."""
    config = running if isinstance(running, EmulatorConfig) else running.config
    now = int(time.time())
    payload: dict[str, Any] = {
        "appId": config.client_id,
        "sub": "campsync-tests",
        "iat": now,
        "exp": now + lifetime,
        "jti": jti or str(uuid.uuid4()),
    }
    payload.update(claims)
    return encode_hs256(payload, config.client_secret)


def emulator_headers(
    running: EmulatorLike, token: str | None = None, **overrides: str
) -> dict[str, str]:
    """Headers of a platform call to `running`: auth, accountid, iid (and JSON)."""
    headers = {
        "auth": token or emulator_token(running),
        "accountid": running.config.account_id,
        "iid": running.config.stream_id,
        "Content-Type": "application/json",
    }
    headers.update(overrides)
    return headers


# The body of the reference page's sample PUT, exactly as its curl sends it.
# (The long description line is the sample's own.)
REFERENCE_SAMPLE_BODY = """{
    "name": "Product Feedback Voice Campaign-3.5",
    "description": "This voice campaign collects quick feedback on recent purchases. It asks brief questions on satisfaction, usage, and suggestions to help improve future products and customer experience.qqq2",
    "contactLists": [
        "CL Only 2020 Dec 4"
    ],
    "dncLists": {
        "name": "DNC CL Dec 4"
    },
    "priority": "5",
    "dialingMode": "Agentless",
    "dialingStrategy": {
        "callerId": {
            "phoneNumber": "+148465xxxxx"
        },
        "callingHours": {
            "frequency": "WEEKLY",
            "timezone": "Asia/Kolkata",
            "days": [
                {
                    "day": "MO",
                    "start": "9:00 AM",
                    "end": "6:00 PM"
                },
                {
                    "day": "TU",
                    "start": "9:00 AM",
                    "end": "6:00 PM"
                },
                {
                    "day": "WE",
                    "start": "9:00 AM",
                    "end": "6:00 PM"
                },
                {
                    "day": "TH",
                    "start": "9:00 AM",
                    "end": "6:00 PM"
                },
                {
                    "day": "FR",
                    "start": "9:00 AM",
                    "end": "6:00 PM"
                }
            ]
        },
        "dialingOrder": "FIFO",
        "maxAttemptsPerRecord": 3,
        "defaultRetryPeriod": 10,
        "maxRingTime": 30
    },
    "schedule": {
        "isSchedulingEnabled": false
    },
    "experienceFlowName": "Voice Survey Entry Flow",
    "campaignType": "voice"
}"""


def campaign_body(name: str = "Spring Renewals", **changes: Any) -> dict[str, Any]:
    """A valid create/update body (Agentless), with top-level fields replaced by `changes`."""
    body: dict[str, Any] = {
        "name": name,
        "description": "Calls customers whose plan renews this spring.",
        "contactLists": ["Q4 Renewals"],
        "dncLists": {"name": "Global DNC"},
        "priority": "3",
        "dialingMode": "Agentless",
        "dialingStrategy": {
            "callerId": {"phoneNumber": "+14155550100"},
            "callingHours": {
                "frequency": "WEEKLY",
                "timezone": "America/New_York",
                "days": [{"day": "MO", "start": "9:00 AM", "end": "5:00 PM"}],
            },
            "dialingOrder": "FIFO",
            "maxAttemptsPerRecord": 3,
            "defaultRetryPeriod": 60,
            "maxRingTime": 30,
        },
        "schedule": {"isSchedulingEnabled": False},
        "experienceFlowName": "Payment Reminder Flow",
        "enableMachineDetect": "detect",
        "campaignType": "voice",
    }
    body.update(copy.deepcopy(changes))
    return body


def progressive_body(name: str = "Collections Push", **changes: Any) -> dict[str, Any]:
    body = campaign_body(name, dialingMode="Progressive", queue_name="Collections Queue")
    del body["experienceFlowName"], body["enableMachineDetect"]
    body.update(copy.deepcopy(changes))
    return body


def flows_config() -> str:
    """campsync.yaml that maps the emulator's experience flows."""
    flows = default_catalog().experience_flows
    lines = ["experienceFlows:", *(f"  {name}: {flow}" for name, flow in flows.items())]
    return "\n".join(lines) + "\n"


def platform_error(answer: Any, code: int) -> list[str]:
    """The messages of an error answer, after checking that it has the platform's shape:
    `{"errors": [{"msg": ..., "code": <status>}, ...]}` and nothing else."""
    assert isinstance(answer, dict) and list(answer) == ["errors"], answer
    errors = answer["errors"]
    assert isinstance(errors, list) and errors, answer
    assert all(isinstance(e, dict) and set(e) == {"msg", "code"} for e in errors), answer
    assert all(e["code"] == code and isinstance(e["msg"], str) for e in errors), answer
    return [e["msg"] for e in errors]


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def raw_token(header: str, claims: str, secret: str | None) -> str:
    """A JWT whose segments are the JSON texts given, byte for byte (so they may be
    invalid JSON or nested at will), signed with `secret`, or with a wrong signature."""
    signing_input = f"{_b64url(header.encode())}.{_b64url(claims.encode())}"
    signature = b"not signed with the secret"
    if secret is not None:
        signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(signature)}"


class EmulatorApi:
    """The platform's calls against a running emulator, with fresh valid headers each time."""

    def __init__(self, session: aiohttp.ClientSession, running: EmulatorLike) -> None:
        self.session = session
        self.running = running
        stream = running.config.stream_id
        self.base = f"{running.url}/campaign/api/v2/public/{stream}/campaign"
        self.trigger_base = f"{running.url}/api/v2/public/{stream}/campaign/trigger"
        self.queues_url = f"{running.url}/agentassist/api/v1/public/{stream}/queues"

    async def call(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        data: str | bytes | IO[bytes] | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        query = {"accountId": self.running.config.account_id, **(params or {})}
        sent = headers if headers is not None else emulator_headers(self.running)
        async with self.session.request(
            method, url, json=json, data=data, params=query, headers=sent
        ) as response:
            text = await response.text()
            try:
                body: Any = await response.json(content_type=None) if text else None
            except ValueError:
                body = text
            return response.status, body

    async def get(self, campaign_id: str) -> tuple[int, Any]:
        return await self.call("GET", f"{self.base}/{campaign_id}")

    async def list(self, **body: Any) -> tuple[int, Any]:
        return await self.call(
            "POST", f"{self.base}/getAllCampaignDetails", json={"type": "voice", **body}
        )

    async def create(self, body: Any, campaign_type: str = "voice") -> tuple[int, Any]:
        return await self.call("POST", self.base, json=body, params={"campaignType": campaign_type})

    async def create_id(self, body: Any, campaign_type: str = "voice") -> str:
        status, answer = await self.create(body, campaign_type)
        assert status == 200, answer
        return str(answer["data"]["id"])

    async def update(
        self, campaign_id: str, body: Any, campaign_type: str = "voice"
    ) -> tuple[int, Any]:
        return await self.call(
            "PUT", f"{self.base}/{campaign_id}", json=body, params={"campaignType": campaign_type}
        )

    async def delete(self, campaign_id: str, campaign_type: str = "voice") -> tuple[int, Any]:
        return await self.call(
            "DELETE", f"{self.base}/{campaign_id}", params={"campaignType": campaign_type}
        )

    async def list_with_token(self, token: str) -> tuple[int, Any]:
        """A list call (voice) whose auth header is `token`."""
        headers = emulator_headers(self.running, token)
        url = f"{self.base}/getAllCampaignDetails"
        return await self.call("POST", url, json={"type": "voice"}, headers=headers)

    async def trigger(
        self, campaign_id: str, action: str, campaign_type: str = "voice"
    ) -> tuple[int, Any]:
        return await self.call(
            "POST",
            f"{self.trigger_base}/{campaign_id}",
            json={},
            params={"campaignType": campaign_type, "trigger": action},
        )

    async def status(self, campaign_id: str, view: str = "status") -> tuple[int, Any]:
        """The status call (POST .../campaign/{id}/status?view=, body {})."""
        url = f"{self.base}/{campaign_id}/status"
        return await self.call("POST", url, json={}, params={"view": view})

    async def contact_lists(self) -> tuple[int, Any]:
        """getAllListDetails (type=call), as documented: POST, no pagination."""
        url = f"{self.base}/contactList/getAllListDetails"
        return await self.call("POST", url, params={"type": "call"})

    async def queues(self, **params: str) -> tuple[int, Any]:
        """The queues list (GET, no accountId in its documented URL), paged by page/limit."""
        url = f"{self.queues_url}?{urlencode(params)}" if params else self.queues_url
        async with self.session.get(url, headers=emulator_headers(self.running)) as response:
            return response.status, await response.json(content_type=None)


def settled_stats(running: RunningEmulator, timeout: float = 10.0) -> dict[str, Any]:
    """The emulator's counters once it has answered every request it received (none under
    way), asked through its admin route: the emulator reads that request after any a client
    sent before it, so a write a killed client left inside the emulator's latency is counted,
    not missed. `timeout` bounds the wait; it is never reached when the emulator works."""
    deadline = time.monotonic() + timeout
    while True:
        with urllib.request.urlopen(f"{running.url}/_emulator/stats", timeout=timeout) as answer:
            stats: dict[str, Any] = json.loads(answer.read())
        if stats["in_flight"] == 0:
            return stats
        assert time.monotonic() < deadline, stats
        time.sleep(0.02)


def seed_ready(running: RunningEmulator, *bodies: dict[str, Any]) -> list[str]:
    """Put campaigns straight into the emulator as Ready (no Preparing wait)."""
    return running.store.seed([{**copy.deepcopy(b), "status": "Ready"} for b in bodies])


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    with start_in_thread(emulator_test_config()) as running:
        yield running


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def api(emulator: RunningEmulator, session: aiohttp.ClientSession) -> EmulatorApi:
    return EmulatorApi(session, emulator)


def campsync_env(running: RunningEmulator, rate_limit: int = 100000) -> dict[str, str]:
    """The environment that points campsync at this emulator (for in-process runs, and with
    os.environ and PYTHONPATH for a campsync subprocess)."""
    return {
        "KORE_HOST": running.url,
        "KORE_STREAM_ID": running.config.stream_id,
        "KORE_ACCOUNT_ID": running.config.account_id,
        "KORE_CLIENT_ID": running.config.client_id,
        "KORE_CLIENT_SECRET": running.config.client_secret,
        "CAMPSYNC_RATE_LIMIT": str(rate_limit),
    }


def subprocess_env(running: RunningEmulator, rate_limit: int = 100000) -> dict[str, str]:
    """os.environ pointed at this emulator, for `python -m campsync` in a subprocess."""
    env = {**os.environ, **campsync_env(running, rate_limit), "PYTHONPATH": str(REPO)}
    env.pop("KORE_JWT", None)
    return env


@pytest.fixture
def cli_env(emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> RunningEmulator:
    for key, value in campsync_env(emulator).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("KORE_JWT", raising=False)
    return emulator


# Two accounts side by side (issue 23): each its own app credentials, stream, account id and
# rate limit, as two Kore.ai apps are. Generous limits, different on purpose; a test that
# needs a limit it can reach passes its own (running_pair(a={"rate_limit": 2})).
PAIR = {
    "a": {
        "client_id": "cs-account-a-client",
        "client_secret": "account-a-secret-0123456789abcdef0123456",
        "stream_id": "st-aaaaaaaa-0000-4000-8000-00000000000a",
        "account_id": "account-a",
        "rate_limit": 600,
    },
    "b": {
        "client_id": "cs-account-b-client",
        "client_secret": "account-b-secret-0123456789abcdef0123456",
        "stream_id": "st-bbbbbbbb-0000-4000-8000-00000000000b",
        "account_id": "account-b",
        "rate_limit": 300,
    },
}


@dataclass
class TwoEmulators:
    """Two emulators on two ports in this process, serving two accounts."""

    a: RunningEmulator
    b: RunningEmulator

    @property
    def both(self) -> tuple[RunningEmulator, RunningEmulator]:
        return self.a, self.b


@contextmanager
def running_pair(
    a: dict[str, Any] | None = None, b: dict[str, Any] | None = None
) -> Iterator[TwoEmulators]:
    """Start the two accounts' emulators (PAIR, with `a` and `b` changing their settings)."""
    with (
        start_in_thread(emulator_test_config(**{**PAIR["a"], **(a or {})})) as first,
        start_in_thread(emulator_test_config(**{**PAIR["b"], **(b or {})})) as second,
    ):
        yield TwoEmulators(first, second)


@pytest.fixture
def two_emulators() -> Iterator[TwoEmulators]:
    with running_pair() as pair:
        yield pair


def wait_ready(running: RunningEmulator, timeout: float = 5.0) -> None:
    """Poll until no campaign of the emulator is Preparing (ready_after is 0.2 s in the
    tests)."""
    deadline = time.monotonic() + timeout
    while any(r["status"] == "Preparing" for r in running.store.raw_campaigns()):
        assert time.monotonic() < deadline, "campaigns stayed Preparing"
        time.sleep(0.02)
