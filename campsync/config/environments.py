"""The environments of campsync.yaml (`environments:`) as their campaign files see them
(campaign.environment.Environment: the `campaigns:` globs, the `overrides:`, and campsync.yaml
to place a problem in): the chosen one, one from its own entry alone, or every one. The files
themselves are read by campaign.reader. No printing, no network.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from campsync.campaign.environment import Environment
from campsync.config.file import ConfigFile
from campsync.config.settings import Settings, load_settings


def environment_of(settings: Settings) -> Environment | None:
    """The chosen environment (None when there is none: plain files)."""
    if settings.environment is None:
        return None
    return Environment(
        settings.environment,
        tuple(settings.campaign_globs),
        dict(settings.overrides),
        settings.config,
        frozenset(settings.experience_flows),
    )


def environment_from_entry(name: str, entry: Mapping[str, Any], config: ConfigFile) -> Environment:
    """The environment as its own entry of campsync.yaml describes its files, when the rest of
    the file is not usable (validate still checks the files under it)."""
    return Environment(
        name,
        tuple(entry.get("campaigns") or ()),
        dict(entry.get("overrides") or {}),
        config,
        flow_names(config.data, entry),
    )


def flow_names(*holders: Mapping[str, Any]) -> frozenset[str]:
    """The flow names the `experienceFlows` of the holders map together (campsync.yaml's top
    level, an environment's entry), as campaign.flows checks files against them; none when
    one of them is not a mapping (a problem of campsync.yaml of its own: checked against
    the rest, a flow name could look unmapped that is not)."""
    names: set[str] = set()
    for holder in holders:
        flows = holder.get("experienceFlows")
        if flows is None:
            continue
        if not isinstance(flows, Mapping):
            return frozenset()
        names.update(name for name in flows if isinstance(name, str))
    return frozenset(names)


def environment_named(config: ConfigFile, name: str) -> Environment:
    """The environment `name` as `--env NAME` resolves it from campsync.yaml alone (no
    variables: validate needs none); ConfigError when it is not defined."""
    chosen = environment_of(load_settings(config=config, environment=name, env={}))
    assert chosen is not None  # load_settings chose it or raised
    return chosen


def every_environment(config: ConfigFile) -> list[Environment]:
    """Every environment campsync.yaml defines, each as environment_named resolves it."""
    return [environment_named(config, name) for name in config.environments]
