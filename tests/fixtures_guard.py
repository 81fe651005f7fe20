"""Helpers for the guard-rail tests: a fleet of campaigns on the emulator, each described by
a file (or not), and the emulator's log read for exactly what was sent."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest

from campsync.emulator.auth import encode_hs256
from tests.fixtures_emulator import campaign_body
from tests.fixtures_workspace import Workspace


def file_name(name: str) -> str:
    return name.lower().replace(" ", "-") + ".yaml"


def fleet(
    ws: Workspace, names: list[str], *, folder: str = "", described: bool = True
) -> dict[str, str]:
    """Campaigns on the emulator (Ready), each with an equal file under `folder` unless not
    `described`; name -> id."""
    ids = ws.seed(*(campaign_body(name) for name in names))
    if described:
        for name in names:
            ws.write(folder + file_name(name), campaign_body(name))
    return dict(zip(names, ids, strict=True))


def change_files(ws: Workspace, names: list[str], *, folder: str = "") -> None:
    for name in names:
        ws.write(folder + file_name(name), campaign_body(name, description=f"{name}, changed."))


def sent(ws: Workspace) -> Counter[str]:
    """Writes the emulator answered, by kind (update, create, delete)."""
    by_kind = ws.store.stats()["by_kind"]
    return Counter({k: int(by_kind[k]) for k in ("update", "create", "delete") if by_kind.get(k)})


def names_on_platform(ws: Workspace) -> set[str]:
    return {str(record["name"]) for record in ws.store.raw_campaigns()}


def error_line(err: str) -> str:
    """The one `campsync: error:` line of stderr (and there is exactly one)."""
    lines = [line for line in err.splitlines() if line.startswith("campsync: error:")]
    assert len(lines) == 1, err
    return lines[0]


def ready_jwt(ws: Workspace) -> str:
    """A KORE_JWT the emulator accepts (no jti: it may be sent many times)."""
    config = ws.emulator.config
    now = int(time.time())
    claims: dict[str, Any] = {"appId": config.client_id, "iat": now, "exp": now + 600}
    return encode_hs256(claims, config.client_secret)


def prod_environment(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """campsync.yaml with one environment, `prod`, whose credentials are PROD_ID and
    PROD_SECRET (the emulator's), while KORE_CLIENT_SECRET holds another secret."""
    ws.config(
        "environments:\n  prod:\n    credentials:\n"
        "      clientSecret: PROD_SECRET\n      clientId: PROD_ID\n"
    )
    monkeypatch.setenv("PROD_ID", ws.emulator.config.client_id)
    monkeypatch.setenv("PROD_SECRET", ws.emulator.config.client_secret)
    monkeypatch.setenv("KORE_CLIENT_SECRET", "the-default-secret-is-not-this-environments-one")
