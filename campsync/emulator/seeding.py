"""What the emulator can be seeded with (`--seed FILE`, `POST /_emulator/campaigns`):
campaigns in request-body shape (plus an optional `id` and `status`), contact lists and
queues.

Two forms: a list of campaigns, or `{"campaigns": [...], "contactLists": [...], "queues":
[...]}` (each key optional). The seed file is checked as the API would check a create
(`check_seed_campaigns`): a pipeline test that starts from a campaign the platform could
never hold tests nothing. The admin route stays lenient (names must resolve, nothing
else): tests use it to imitate odd platform data on purpose.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from campsync.emulator.catalog import Catalog, quoted
from campsync.emulator.rules import STATUSES, Refusal, check_campaign_body
from campsync.emulator.safejson import MAX_SAFE_INTEGER
from campsync.errors import ConfigError

DOCUMENT_KEYS = ("campaigns", "contactLists", "queues")
SEED_ONLY_KEYS = ("id", "_id", "status")  # what a seeded campaign adds to a request body
FORMS = "a list of campaigns, or an object with campaigns, contactLists and queues"


class SeedError(ValueError):
    """A seed that can't be read as one; str() is the one-line reason."""


@dataclass(frozen=True)
class Seed:
    campaigns: list[Any] = field(default_factory=list)
    contact_lists: list[Any] = field(default_factory=list)
    queues: list[Any] = field(default_factory=list)


def seed_document(data: Any, *, single_campaign: bool = False) -> Seed:
    """A seed of either form; with `single_campaign`, an object that is neither form is
    one campaign (the admin route takes one so). SeedError otherwise."""
    if data is None:
        return Seed()
    if isinstance(data, list):
        return Seed(campaigns=data)
    if isinstance(data, Mapping) and any(key in data for key in DOCUMENT_KEYS):
        unknown = sorted(str(key) for key in set(data) - set(DOCUMENT_KEYS))
        if unknown:
            raise SeedError(f"unknown key(s) {', '.join(unknown)}: the seed holds {FORMS}")
        parts = {key: data.get(key, []) for key in DOCUMENT_KEYS}
        for key, value in parts.items():
            if not isinstance(value, list):
                raise SeedError(f"{key} must be a list")
        return Seed(parts["campaigns"], parts["contactLists"], parts["queues"])
    if single_campaign:
        return Seed(campaigns=[data])
    raise SeedError(f"the seed file must hold {FORMS}")


def load_seed_file(path: Path) -> Seed:
    """The seed file (YAML or JSON), read; ConfigError (one line) if it can't be."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the seed file ({exc.__class__.__name__})") from None
    directive = next((n for n, line in enumerate(text.splitlines(), 1) if line[:1] == "%"), 0)
    if directive:
        # ruamel would switch to YAML 1.1 (`010` is 8) or fail inside on %YAML 1.3.
        raise ConfigError(
            f"{path}:{directive}:1: a seed file is read as YAML 1.2: no directives (%YAML, %TAG)"
        )
    try:
        data = YAML(typ="safe", pure=True).load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: not valid YAML or JSON") from None
    try:
        return seed_document(_plain(data))
    except (SeedError, ValueError) as exc:
        raise ConfigError(f"{path}: {exc}") from None


def check_seed_campaigns(items: Sequence[Any], catalog: Catalog) -> None:
    """Every campaign of a seed file as the create call would check it (its body rules,
    names unique ignoring case), plus what a seed adds (`id`, `status`); SeedError naming
    the first campaign at fault and all its problems. `campaignType: sms` is allowed here
    (the API creates no SMS campaign, but a seed may hold one, in the voice body's shape,
    to be listed, read and deleted)."""
    seen: dict[str, int] = {}
    for number, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            raise SeedError(f"campaign {number}: each campaign must be an object")
        name = item.get("name")
        where = f"campaign {number}" + (f" ({quoted(name)})" if isinstance(name, str) else "")
        body = {key: value for key, value in item.items() if key not in SEED_ONLY_KEYS}
        problems = check_campaign_body(body, catalog)
        if item.get("status", "Ready") not in STATUSES:
            problems.append(f"status must be one of: {', '.join(STATUSES)}")
        campaign_id = item.get("id", item.get("_id"))
        if campaign_id is not None and (not isinstance(campaign_id, str) or not campaign_id):
            problems.append("id must be a non-empty text")
        if isinstance(name, str):
            other = seen.setdefault(name.lower(), number)
            if other != number:
                problems.append(
                    f"campaign {other} has the same name (names are unique, ignoring case)"
                )
        if problems:
            raise SeedError(f"{where}: {'; '.join(problems)}")


def check_seed_names(item: Mapping[str, Any], catalog: Catalog) -> None:
    """The one check of an admin-seeded campaign (besides id and status): every name it
    gives resolves. Refusal(400) naming the others."""
    unknown: list[str] = []
    lists = item.get("contactLists") or []
    if not isinstance(lists, list):
        raise Refusal(400, f"{item['name']}: contactLists must be a list")
    unknown += [f"contact list {n}" for n in lists if not _known(n, catalog.list_names)]
    dnc = item.get("dncLists")
    if dnc is not None and (
        not isinstance(dnc, Mapping) or not _known(dnc.get("name"), catalog.list_names)
    ):
        unknown.append(f"DNC list {dnc.get('name') if isinstance(dnc, Mapping) else dnc}")
    flow = item.get("experienceFlowName")
    if flow is not None and not _known(flow, catalog.experience_flows):
        unknown.append(f"experience flow {flow}")
    queue = item.get("queue_name")
    if queue is not None and not _known(queue, catalog.queues):
        unknown.append(f"queue {queue}")
    if unknown:
        raise Refusal(400, f"{item['name']}: not found: {', '.join(unknown)}")


def _known(name: Any, names: Mapping[str, str]) -> bool:
    """Whether `name` is a name of the catalog (a list or an object is not, and can't be
    looked up: seeded campaigns are not validated otherwise)."""
    return isinstance(name, str) and name in names


def _plain(value: Any) -> Any:
    """Timestamps and other YAML types as JSON builtins; ValueError for a number that
    JSON answers could not carry (NaN, infinities, integers beyond 2^53 - 1)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"the seed file holds {value}, which is not a JSON number")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SAFE_INTEGER:
        raise ValueError("the seed file holds an integer beyond 2^53 - 1")
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
