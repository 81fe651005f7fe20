"""Targeting (`--only` / `--exclude`) and name patterns (`keep:`): which campaigns a run may
touch. Pure: no I/O.

A pattern matches a campaign when it matches its name (case-insensitively, shell wildcards
`*`, `?`, `[...]`, or the name exactly, so that a name holding brackets needs no escaping) or
its file's path: relative to PATH, or as shown (relative to the working folder), with `*`
and `?` inside one folder level and `**` for any number of levels. A campaign is in scope
when it matches an `--only` pattern (or none is given) and no `--exclude` pattern.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from campsync.campaign.discovery import display_name
from campsync.campaign.globs import glob_regex
from campsync.campaign.validation import CampaignFile
from campsync.errors import UsageError
from campsync.text import quoted


@dataclass(frozen=True)
class Pattern:
    """One pattern as the user wrote it, compiled once for names and for paths."""

    text: str
    name_regex: re.Pattern[str]
    path_regex: re.Pattern[str]

    @classmethod
    def compile(cls, text: str) -> Pattern:
        return cls(
            text=text,
            name_regex=re.compile(fnmatch.translate(text.casefold()), re.DOTALL),
            path_regex=glob_regex(text),
        )

    def matches_name(self, name: str) -> bool:
        folded = name.casefold()
        return folded == self.text.casefold() or self.name_regex.match(folded) is not None

    def matches_path(self, path: str) -> bool:
        return self.path_regex.fullmatch(path) is not None

    def matches(self, names: Iterable[str], paths: Iterable[str] = ()) -> bool:
        return any(self.matches_name(n) for n in names) or any(self.matches_path(p) for p in paths)


def name_patterns(texts: Iterable[str]) -> tuple[Pattern, ...]:
    """Name patterns such as `keep:` (case-insensitive shell wildcards, or the exact name)."""
    return tuple(Pattern.compile(text) for text in texts if text)


def matches_any(patterns: Sequence[Pattern], name: str) -> bool:
    return any(pattern.matches_name(name) for pattern in patterns)


@dataclass(frozen=True)
class Scope:
    """The campaigns a run may touch. `root` is PATH as campaign files show it (see
    campaign.discovery.display_name), to make their paths relative to it."""

    only: tuple[Pattern, ...] = ()
    exclude: tuple[Pattern, ...] = ()
    root: str = ""

    @classmethod
    def build(cls, only: Sequence[str], exclude: Sequence[str], root: Path) -> Scope:
        """From the command line; an empty pattern is a UsageError (it would match nothing,
        and an empty `--only` would then leave nothing in scope)."""
        for flag, texts in (("--only", only), ("--exclude", exclude)):
            for text in texts:
                if not text.strip():
                    raise UsageError(f"{flag} needs a campaign name or a file path pattern")
        return cls(
            only=tuple(Pattern.compile(t) for t in only),
            exclude=tuple(Pattern.compile(t) for t in exclude),
            root=display_name(root),
        )

    @property
    def everything(self) -> bool:
        return not self.only and not self.exclude

    def paths_of(self, shown: str) -> tuple[str, ...]:
        """A file's path relative to PATH (its own name when PATH is that file), and as shown."""
        if shown == self.root:
            return (shown.rsplit("/", 1)[-1], shown)
        if self.root in ("", "."):
            return (shown,)
        prefix = self.root.rstrip("/") + "/"
        if shown.startswith(prefix):
            return (shown[len(prefix) :], shown)
        return (shown,)

    def includes(self, names: Sequence[str], paths: Sequence[str] = ()) -> bool:
        if self.only and not any(p.matches(names, paths) for p in self.only):
            return False
        return not any(p.matches(names, paths) for p in self.exclude)

    def includes_file(self, cf: CampaignFile, platform_name: str | None = None) -> bool:
        """A file (and the platform campaign it describes, by that campaign's current name
        too: excluding a campaign by the name it has protects it during a rename)."""
        names = [str(cf.data.get("name", ""))]
        if platform_name is not None:
            names.append(platform_name)
        return self.includes(names, self.paths_of(cf.file))

    def includes_name(self, name: str) -> bool:
        """A platform campaign that no file describes: by its name alone."""
        return self.includes([name])

    def refuse_nothing(self, in_scope: int) -> None:
        """UsageError when patterns leave no campaign file and no platform campaign in scope
        (`in_scope` counts both): "no changes" would hide a mistyped pattern."""
        if self.everything or in_scope:
            return
        given = [f"--only {quoted(p.text)}" for p in self.only]
        given.extend(f"--exclude {quoted(p.text)}" for p in self.exclude)
        raise UsageError(
            f"nothing is in scope: no campaign file and no platform campaign is left by "
            f"{', '.join(given)} (a pattern matches a campaign name, or a file path relative "
            "to PATH)"
        )

    def unmatched(self, files: Sequence[CampaignFile], names: Sequence[str]) -> list[str]:
        """One warning per pattern that matches no campaign file and no platform campaign
        (a typo would otherwise look like "no changes")."""
        warnings: list[str] = []
        for flag, patterns in (("--only", self.only), ("--exclude", self.exclude)):
            for pattern in patterns:
                hit = any(
                    pattern.matches([str(cf.data.get("name", ""))], self.paths_of(cf.file))
                    for cf in files
                ) or any(pattern.matches_name(name) for name in names)
                if not hit:
                    warnings.append(
                        f"{flag} {quoted(pattern.text)} matches no campaign file and no "
                        "platform campaign"
                    )
        return warnings
