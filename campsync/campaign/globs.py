"""File globs of campsync.yaml (`campaigns:` of an environment): shell wildcards over a path
relative to the campaign folder, posix separators. `*` and `?` stay within one folder, `[...]`
is a character class, `**` is any number of folders (`common/**` is everything under
common/, `**/x.yaml` is x.yaml at any depth). Matching is case-sensitive, as paths are in Git.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache


@cache
def compile_glob(pattern: str) -> re.Pattern[str]:
    parts: list[str] = []
    index = 0
    size = len(pattern)
    while index < size:
        char = pattern[index]
        if pattern.startswith("**", index):
            index += 2
            at_start = index == 2 or pattern[index - 3] == "/"
            if at_start and pattern.startswith("/", index):
                parts.append("(?:.*/)?")  # `**/`: zero or more folders
                index += 1
            else:
                parts.append(".*")
            continue
        if char == "*":
            parts.append("[^/]*")
        elif char == "?":
            parts.append("[^/]")
        elif char == "[":
            end = pattern.find("]", index + 2 if pattern.startswith("[!", index) else index + 1)
            if end == -1:
                parts.append(re.escape(char))
            else:
                body = pattern[index + 1 : end]
                negate = body.startswith("!")
                body = body[1:] if negate else body
                escaped = body.replace("\\", "\\\\").replace("^", "\\^")
                parts.append(f"[{'^' if negate else ''}{escaped}]")
                index = end
        else:
            parts.append(re.escape(char))
        index += 1
    return re.compile("".join(parts), re.DOTALL)


def matches(relative: str, patterns: Sequence[str]) -> bool:
    """Whether the posix path `relative` matches any of `patterns` (whole path)."""
    return any(compile_glob(pattern).fullmatch(relative) for pattern in patterns)
