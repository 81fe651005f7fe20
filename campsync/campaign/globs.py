"""Path globs, the one home for them: `campaigns:` of an environment in campsync.yaml and the
path patterns of --only/--exclude (campsync.sync.scope). Shell wildcards over a posix path
relative to the campaign folder: `*` and `?` stay inside one folder level, `[...]` is a
character class, a `**` level matches any number of levels (none included): `common/**` is
everything under common/, `**/x.yaml` is x.yaml at any depth. Case-sensitive, as paths are in
Git. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A path glob as a regex for `fullmatch` on a posix path: `*` and `?` stay inside one
    folder level, a `**` level matches any number of levels (none included)."""
    levels = [level for level in pattern.split("/") if level not in ("", ".")]
    parts: list[str] = []
    for index, level in enumerate(levels):
        last = index == len(levels) - 1
        if level == "**":
            parts.append(".*" if last else "(?:[^/]+/)*")
        else:
            parts.append(_level_regex(level) + ("" if last else "/"))
    return re.compile("".join(parts), re.DOTALL)


def _level_regex(level: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(level):
        char = level[index]
        index += 1
        if char == "*":
            while index < len(level) and level[index] == "*":  # `a**b` is `a*b`
                index += 1
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            start = index + 1 if level[index : index + 1] in ("!", "^") else index
            if level[start : start + 1] == "]":  # `[]x]`: a leading `]` is a member
                start += 1
            end = level.find("]", start)
            if end < 0:
                out.append(re.escape(char))
                continue
            body = level[index:end]
            index = end + 1
            negate = body[:1] in ("!", "^")
            body = body[1:] if negate else body
            escaped = "".join("\\" + c if c in "\\^[]" else c for c in body)
            out.append(f"[^/{escaped}]" if negate else f"[{escaped}]")
        else:
            out.append(re.escape(char))
    return "".join(out)


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return glob_regex(pattern)


def matches(relative: str, patterns: Sequence[str]) -> bool:
    """Whether the posix path `relative` matches any of `patterns` (the whole path)."""
    return any(_compiled(pattern).fullmatch(relative) for pattern in patterns)
