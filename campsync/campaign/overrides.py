"""An environment's overrides merged over a campaign file (contract, "Environments"). Pure.

Order: the file, then the `"*"` entry (every campaign), then the campaign's own entry (its
name, case-insensitively). Mappings merge key by key; anything else, lists included, replaces;
`null` removes the field, which then is not managed. `merge` also says where each value came
from (`Merged.origin`), so that a problem can be pointed at the file or at campsync.yaml.

`unmerge` goes the other way for `pull`: it leaves out of a pulled campaign the values that
the environment's overrides supply anyway, so that they are not baked into a file that other
environments read too.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from campsync.campaign.model import priority_text

EVERY = "*"  # the override entry for every campaign of the environment

PathItem = str | int
PathKey = tuple[PathItem, ...]
# One override entry as applied: (its key in `overrides`, its fields).
Layer = tuple[str, Mapping[str, Any]]


@dataclass(frozen=True)
class Merged:
    """A campaign after the overrides: its data, and for every value an override set,
    introduced or removed (null), the key of that override entry."""

    data: dict[str, Any]
    origins: Mapping[PathKey, str] = field(default_factory=dict)

    def origin(self, path: Sequence[PathItem]) -> str | None:
        """The override entry that the value at `path` came from (the nearest enclosing
        value an override set); None when it came from the file."""
        for end in range(len(path), 0, -1):
            found = self.origins.get(tuple(path[:end]))
            if found is not None:
                return found
        return None


def own_key(name: Any, overrides: Mapping[str, Any]) -> str | None:
    """The key of the campaign's own entry: its name, case-insensitively (the first one when
    two keys differ only in case; the environment's check reports that)."""
    if not isinstance(name, str):
        return None
    folded = name.casefold()
    for key in overrides:
        if key != EVERY and key.casefold() == folded:
            return key
    return None


def layers_for(name: Any, overrides: Mapping[str, Any]) -> list[Layer]:
    """The entries that apply to the campaign named `name` (the FILE's name), in order."""
    layers: list[Layer] = []
    every = overrides.get(EVERY)
    if isinstance(every, Mapping):
        layers.append((EVERY, every))
    key = own_key(name, overrides)
    if key is not None and isinstance(overrides[key], Mapping):
        layers.append((key, overrides[key]))
    return layers


def merge(data: Mapping[str, Any], layers: Sequence[Layer]) -> Merged:
    """`data` with each layer merged over it in order. Shares nothing with its inputs."""
    result: dict[str, Any] = copy.deepcopy(dict(data))
    origins: dict[PathKey, str] = {}
    for key, entry in layers:
        _merge_into(result, entry, (), key, origins)
    return Merged(result, origins)


def _merge_into(
    target: dict[str, Any],
    entry: Mapping[str, Any],
    path: PathKey,
    key: str,
    origins: dict[PathKey, str],
) -> None:
    for name, value in entry.items():
        here = (*path, name)
        if isinstance(value, Mapping) and isinstance(target.get(name), dict):
            _merge_into(target[name], value, here, key, origins)
            continue
        _forget_below(origins, here)
        origins[here] = key
        if value is None:
            target.pop(name, None)
        elif isinstance(value, Mapping):
            # A new mapping: merged into an empty one, so that a null inside removes nothing.
            fresh: dict[str, Any] = {}
            _merge_into(fresh, value, here, key, origins)
            target[name] = fresh
        else:
            target[name] = copy.deepcopy(value)


def _forget_below(origins: dict[PathKey, str], path: PathKey) -> None:
    """An earlier layer's values under `path` are replaced as a whole."""
    size = len(path)
    for known in [p for p in origins if len(p) > size and p[:size] == path]:
        del origins[known]


def effective(layers: Sequence[Layer]) -> dict[str, Any]:
    """The layers combined into one entry, later ones winning, with None where a field is
    removed (what the layers together do to any file)."""
    result: dict[str, Any] = {}
    for _, entry in layers:
        _combine(result, entry)
    return result


def _combine(target: dict[str, Any], entry: Mapping[str, Any]) -> None:
    for name, value in entry.items():
        if isinstance(value, Mapping):
            current = target.get(name)
            if not isinstance(current, dict):
                # Over a removal, a mapping is new: it merges into an empty one. Over a
                # replacement that was not a mapping, the same.
                current = {}
                target[name] = current
            _combine(current, value)
        else:
            target[name] = copy.deepcopy(value)


def overridden(layers: Sequence[Layer]) -> frozenset[PathKey]:
    """The paths of the values the layers set or remove (null), down to each value that is
    not a mapping: what an environment makes different on purpose, whatever the file holds.
    An empty mapping counts as its own path (it may replace a value of the file)."""
    paths: set[PathKey] = set()

    def walk(entry: Mapping[str, Any], path: PathKey) -> None:
        for name, value in entry.items():
            here = (*path, name)
            if isinstance(value, Mapping) and value:
                walk(value, here)
            else:
                paths.add(here)

    walk(effective(layers), ())
    return frozenset(paths)


def unmerge(data: Mapping[str, Any], layers: Sequence[Layer]) -> dict[str, Any]:
    """`data` (a campaign as the platform holds it, in file form) without what the layers
    supply: a field they remove, and a value equal to the one they set. Merging the layers
    over the result gives `data` back wherever the platform holds the overrides' values."""
    result: dict[str, Any] = copy.deepcopy(dict(data))
    _strip(result, effective(layers))
    return result


def _strip(target: dict[str, Any], supplied: Mapping[str, Any]) -> None:
    for name, value in supplied.items():
        if name not in target:
            continue
        current = target[name]
        if value is None or _same(name, current, value):
            del target[name]
        elif isinstance(value, Mapping) and isinstance(current, dict):
            _strip(current, value)
            if not current:
                del target[name]


def _same(name: str, current: Any, value: Any) -> bool:
    if name == "priority":  # 5 and "5" are the same priority
        return bool(priority_text(current) == priority_text(value))
    return type(current) is type(value) and bool(current == value)


def overrides_digest(overrides: Mapping[str, Any]) -> str:
    """A digest of an environment's overrides: merged data depends on them as much as on the
    file's text, so a memo of merged data is keyed by both."""
    canonical = json.dumps(overrides, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()
