"""The state file (`--state`): the emulator's campaigns, contact lists and queues, kept
across restarts. Experience flows are fixed and not kept.

`{"format": 1, "campaigns": [...], "contactLists": [...], "queues": [...]}`; a file written
before lists and queues were kept has only `campaigns`, and starts with the default ones.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from campsync.emulator.catalog import (
    Catalog,
    CatalogError,
    ContactList,
    Queue,
    parse_all,
)
from campsync.errors import ConfigError
from campsync.fsutil import check_writable, write_atomic

STATE_FORMAT = 1


@dataclass(frozen=True)
class State:
    campaigns: list[dict[str, Any]]
    lists: list[ContactList] | None  # None: the file keeps none (the defaults apply)
    queues: list[Queue] | None


def read_state(path: Path | None) -> State | None:
    """The state file's content; None when there is no file or it is empty.
    ConfigError (one line) for anything but a state file."""
    if path is None:
        return None
    try:
        check_writable(path)  # at start, not at the first write: a link or FIFO is refused
    except OSError as exc:
        raise ConfigError(f"{path}: cannot keep the state there ({exc.strerror})") from None
    if not path.exists():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the state file ({exc})") from None
    if not text.strip():
        return None
    try:
        data = json.loads(text)
    except ValueError:
        raise ConfigError(f"{path}: the state file is not valid JSON") from None
    campaigns = data.get("campaigns") if isinstance(data, dict) else None
    if (
        not isinstance(data, dict)
        or data.get("format") != STATE_FORMAT
        or not isinstance(campaigns, list)
        or not all(isinstance(c, dict) and isinstance(c.get("_id"), str) for c in campaigns)
        or not all(isinstance(data.get(key, []), list) for key in ("contactLists", "queues"))
    ):
        raise ConfigError(f"{path}: not a campsync emulator state file")
    try:
        lists, queues = parse_all(data.get("contactLists", []), data.get("queues", []))
        Catalog().adding(lists, queues)  # the same uniqueness as any addition
    except CatalogError as exc:
        raise ConfigError(f"{path}: not a campsync emulator state file ({exc})") from None
    return State(
        campaigns,
        lists if "contactLists" in data else None,
        queues if "queues" in data else None,
    )


def write_state(path: Path, campaigns: Sequence[dict[str, Any]], catalog: Catalog) -> None:
    data = {
        "format": STATE_FORMAT,
        "campaigns": list(campaigns),
        "contactLists": [item.as_json() for item in catalog.lists],
        "queues": [item.as_json() for item in catalog.queue_list],
    }
    write_atomic(path, json.dumps(data, indent=1) + "\n")
