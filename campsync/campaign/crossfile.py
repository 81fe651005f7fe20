"""The rules across the campaign files of a run: names (ignoring case) and ids unique, each
reported where the value came from (the file, or the campaign's override entry in
campsync.yaml); with an environment, each override entry names one of its campaigns ("*"
sets no name or id), and every problem in campsync.yaml names the environment and its
campaigns. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from campsync.campaign.environment import Environment
from campsync.campaign.messages import closest
from campsync.campaign.overrides import EVERY, own_key
from campsync.campaign.validation import FileCheck, InConfig, Problem
from campsync.text import quoted

Place = tuple[str, int, int]  # file, line, column


def cross_file_problems(
    checks: Sequence[FileCheck], environment: Environment | None = None
) -> list[Problem]:
    """The problems across `checks` (the files of a run, checked), and, with an environment,
    those of its override entries and of every value from campsync.yaml the files showed."""
    in_files, in_entries = _unique(checks, environment)
    if environment is None:
        return in_files
    in_config = [found for check in checks for found in check.in_config]
    return [
        *in_files,
        *_override_entries(environment, checks),
        *in_config_problems(environment.name, [*in_config, *in_entries]),
    ]


def also_used(key: str, value: str, others: Iterable[Place]) -> str:
    """The message for a campaign name or id (`key`) that the `others` write too."""
    places = ", ".join(f"{file}:{line}:{column}" for file, line, column in others)
    if key == "name":
        return (
            f"campaign name {quoted(value)} is also used in {places} "
            "(names must be unique, ignoring case)"
        )
    return f"campaign id {quoted(value)} is also used in {places}"


def naming(environment: str, campaigns: Sequence[str]) -> str:
    """`(environment 'staging', campaign 'Q4 Renewals')`: which environment and campaign a
    problem in campsync.yaml belongs to (several campaigns when a "*" value is at fault)."""
    names = sorted(set(campaigns), key=lambda n: (n.casefold(), n))
    shown = [quoted(name) for name in names[:3]]
    if len(names) == 1:
        which = f"campaign {shown[0]}"
    elif len(names) <= 3:
        which = f"campaigns {', '.join(shown[:-1])} and {shown[-1]}"
    else:
        which = f"campaigns {', '.join(shown)} and {len(names) - 3} more"
    return f"(environment {quoted(environment)}, {which})"


def _unique(
    checks: Sequence[FileCheck], environment: Environment | None
) -> tuple[list[Problem], list[InConfig]]:
    """Names (ignoring case) and ids unique among the campaigns (merged, with an environment).
    Each is reported where the value came from: the file, or the campaign's override entry."""
    overrides: Mapping[str, object] = environment.overrides if environment is not None else {}
    in_files: list[Problem] = []
    in_config: list[InConfig] = []
    every = overrides.get(EVERY)
    for field_name in ("name", "id"):
        if isinstance(every, Mapping) and field_name in every:
            continue  # reported at the "*" entry itself
        groups: dict[str, list[tuple[Place, str, str | None]]] = {}
        for check in checks:
            campaign = check.campaign
            value = campaign.data.get(field_name) if campaign is not None else None
            if campaign is None or not isinstance(value, str):
                continue
            key = own_key(check.name, overrides) if overrides else None
            entry = overrides.get(key) if key is not None else None
            label: str | None = None
            if (
                environment is not None
                and key is not None
                and isinstance(entry, Mapping)
                and field_name in entry
            ):
                at = environment.position(key, (field_name,))
                label = str(campaign.data.get("name", campaign.file))
            else:
                where = check.name_at if field_name == "name" else check.id_at
                if where is None:
                    continue
                at = (campaign.file, *where)
            normal = value.casefold() if field_name == "name" else value
            groups.setdefault(normal, []).append((at, value, label))
        for members in groups.values():
            if len(members) < 2:
                continue
            members.sort(key=lambda member: member[0])
            for at, value, label in members:
                others = [place for place, _, _ in members if place != at]
                problem = Problem(*at, field_name, also_used(field_name, value, others))
                if label is None:
                    in_files.append(problem)
                else:
                    in_config.append(InConfig(problem, label))
    return in_files, in_config


def _override_entries(environment: Environment, checks: Sequence[FileCheck]) -> list[Problem]:
    """Each override entry names one campaign of the environment's files (case-insensitively);
    "*" sets no name or id (each campaign has its own)."""
    problems: list[Problem] = []
    names = {check.name.casefold(): check.name for check in checks if check.name is not None}
    # A file whose name is unknown (it did not load) might be the one an entry names.
    all_named = all(check.name is not None for check in checks)
    seen: dict[str, str] = {}
    for key, entry in environment.overrides.items():
        if key == EVERY:
            for name in ("id", "name"):
                if isinstance(entry, Mapping) and name in entry:
                    problems.append(
                        environment.problem(
                            key,
                            (name,),
                            f"'*' applies to every campaign of environment "
                            f"{quoted(environment.name)}: give each campaign's {name} under "
                            "its own name",
                            at_key=True,
                        )
                    )
            continue
        folded = key.casefold()
        if folded in seen:
            problems.append(
                environment.problem(
                    key,
                    (),
                    f"names the same campaign as {quoted(seen[folded])} (names match ignoring "
                    "case): put its overrides in one entry",
                    at_key=True,
                )
            )
            continue
        seen[folded] = key
        if folded in names or not all_named:
            continue
        guess = closest(key, sorted(names.values()), cutoff=0.6, longest=100)
        hint = f" (did you mean {quoted(guess)}?)" if guess else ""
        problems.append(
            environment.problem(
                key,
                (),
                f"no campaign file of environment {quoted(environment.name)} is named "
                f"{quoted(key)}{hint}",
                at_key=True,
            )
        )
    return problems


def in_config_problems(environment: str, found: Iterable[InConfig]) -> list[Problem]:
    """The problems in campsync.yaml, each naming the environment and its campaigns: a "*"
    value at fault in many campaigns is reported once."""
    campaigns: dict[Problem, list[str]] = {}
    for item in found:
        campaigns.setdefault(item.problem, []).append(item.campaign)
    return [
        Problem(p.file, p.line, p.column, p.path, f"{p.message} {naming(environment, names)}")
        for p, names in campaigns.items()
    ]
