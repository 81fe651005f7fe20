"""An environment of campsync.yaml as its campaign files see it: which files are its (the
`campaigns:` globs), what is merged over them (the `overrides:`), and where in campsync.yaml
each override is written, to place a problem there. A plain value: campsync.config.environments
makes it from the settings; campaign.reader reads the files under it. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

from campsync.campaign.globs import matches
from campsync.campaign.overrides import Layer, PathItem, layers_for, overrides_digest
from campsync.campaign.validation import Problem, format_path

CONFIG_NAME = "campsync.yaml"


class ConfigText(Protocol):
    """Where the values of campsync.yaml are written (campsync.config.file.ConfigFile)."""

    @property
    def shown(self) -> str: ...

    def locate(self, where: Sequence[PathItem], *, key: bool = False) -> tuple[int, int]: ...


@dataclass(frozen=True)
class Unwritten:
    """campsync.yaml for an environment made in code: every value at its first line."""

    shown: str = CONFIG_NAME

    def locate(self, where: Sequence[PathItem], *, key: bool = False) -> tuple[int, int]:
        return 1, 1


@dataclass(frozen=True)
class Environment:
    """One environment: its name, its files' globs (none: every file), its overrides by
    campaign name ("*": every campaign), campsync.yaml as written, and the flow names its
    `experienceFlows` maps (with the top level's; none: flow names are not checked)."""

    name: str
    globs: tuple[str, ...] = ()
    overrides: Mapping[str, Any] = field(default_factory=dict)
    config: ConfigText = field(default_factory=Unwritten)
    flows: frozenset[str] = frozenset()

    @cached_property
    def digest(self) -> str:
        """What merged data depends on besides the file: the environment and its overrides."""
        return overrides_digest({"environment": self.name, "overrides": self.overrides})

    def includes(self, relative: Sequence[str]) -> bool:
        """Whether a file matched by these paths (discovery.FoundFile.relative) is one of the
        environment's."""
        if not self.globs:
            return True
        return any(matches(path, self.globs) for path in relative)

    def layers(self, name: Any) -> list[Layer]:
        """The override entries for the campaign the file names `name`, in order."""
        return layers_for(name, self.overrides)

    def where(self, key: str, *path: PathItem) -> tuple[PathItem, ...]:
        """The place in campsync.yaml of `path` inside the override entry `key`."""
        return ("environments", self.name, "overrides", key, *path)

    def position(
        self, key: str, path: Sequence[PathItem], *, at_key: bool = False
    ) -> tuple[str, int, int]:
        """Where in campsync.yaml the value at `path` of the override entry `key` is."""
        line, column = self.config.locate(self.where(key, *path), key=at_key)
        return self.config.shown, line, column

    def problem(
        self, key: str, path: Sequence[PathItem], message: str, *, at_key: bool = False
    ) -> Problem:
        """A problem with the value at `path` of the override entry `key`."""
        file, line, column = self.position(key, path, at_key=at_key)
        return Problem(file, line, column, format_path(self.where(key, *path)), message)
