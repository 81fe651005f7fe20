"""Showing the plans of several environments (`plan --env a --env b`, `--env all`): one
section per environment, each the plan as campsync.sync.render shows one (or the one-line
reason that environment has none: its account refused, the network failed), in text,
Markdown and JSON. With one environment, the commands use campsync.sync.render alone: its
output stays exactly as it was.

The plan JSON of several environments is `{"format_version": 1, "environments": {"NAME":
{plan}}}` (the contract), each plan exactly as `--json` prints it for that environment; an
environment whose plan could not be made is left out of `environments` and named in
`errors` (`{"NAME": "one-line reason"}`), present only when one failed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

from campsync.sync.plan import FORMAT_VERSION, Plan
from campsync.sync.render import (
    FULL_PLAN_AT,
    MARKDOWN_LIMIT,
    md,
    render_markdown,
    render_text,
    show_text,
    summary_line,
    write_json,
)
from campsync.text import plural

_BOLD = "\x1b[1m"
_RED = "\x1b[31m"
_RESET = "\x1b[0m"
# What a Markdown section needs besides its plan: its heading, and room for a cut plan's
# closing line (render.render_markdown's own room is inside the plan's share).
_SECTION_ROOM = 200


@dataclass(frozen=True)
class Section:
    """One environment's part of a run over several: its plan, or the one-line reason it has
    none (exactly one of the two)."""

    environment: str
    plan: Plan | None = None
    error: str | None = None

    def __post_init__(self) -> None:
        if (self.plan is None) == (self.error is None):
            raise ValueError("a section has a plan or an error, not both or neither")


def overview(section: Section) -> str:
    """The section in a few words: `1 to update, 3 unchanged`, `no changes (4 campaigns)`,
    `error: <reason>`."""
    plan = section.plan
    if plan is None:
        return f"error: {section.error}"
    if not plan.changes:
        return f"no changes ({plural(plan.unchanged, 'campaign')})"
    return summary_line(plan).removeprefix("Plan: ").removesuffix(".")


def sections_json(sections: Sequence[Section]) -> dict[str, Any]:
    """The plan JSON of several environments (see the module docstring)."""
    document: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "environments": {s.environment: s.plan.to_json() for s in sections if s.plan is not None},
    }
    errors = {s.environment: s.error for s in sections if s.error is not None}
    if errors:
        document["errors"] = errors
    return document


# --- text ------------------------------------------------------------------------------------


def render_sections_text(sections: Sequence[Section], out: TextIO, *, color: bool = False) -> None:
    """Each environment under its own heading, then one line per environment."""
    for index, section in enumerate(sections):
        if index:
            out.write("\n")
        heading = f"=== environment {show_text(section.environment)} ==="
        out.write((f"{_BOLD}{heading}{_RESET}" if color else heading) + "\n\n")
        if section.plan is not None:
            render_text(section.plan, out, color=color)
        else:
            line = f"error: {show_text(section.error)}"
            out.write((f"{_RED}{line}{_RESET}" if color else line) + "\n")
    width = max(len(show_text(s.environment)) for s in sections) if sections else 0
    out.write(f"\n{plural(len(sections), 'environment')}:\n")
    for section in sections:
        out.write(
            f"  {show_text(section.environment).ljust(width)}  {show_text(overview(section))}\n"
        )


# --- Markdown --------------------------------------------------------------------------------


def render_sections_markdown(
    sections: Sequence[Section],
    out: TextIO,
    *,
    color: bool = False,
    limit: int | None = MARKDOWN_LIMIT,
    full_at: str = FULL_PLAN_AT,
) -> None:
    """A table of the environments, then each one's plan under its own heading, as
    render_markdown shows it (never in terminal colours, whatever `color` says). At most
    `limit` characters in all (None: no limit): each plan gets an equal share of what the
    table leaves, and what a short one leaves goes to the next; a plan longer than its share
    is cut as render_markdown cuts one."""
    head = f"## campsync plan: {plural(len(sections), 'environment')}\n\n"
    head += "| Environment | Plan |\n|---|---|\n"
    for section in sections:
        head += f"| {md(section.environment)} | {md(overview(section))} |\n"
    out.write(head)
    left = None if limit is None else limit - len(head)
    for index, section in enumerate(sections):
        share = None if left is None else max(0, left // (len(sections) - index) - _SECTION_ROOM)
        piece = _markdown_section(section, share, full_at)
        out.write(piece)
        if left is not None:
            left -= len(piece)


def _markdown_section(section: Section, limit: int | None, full_at: str) -> str:
    text = f"\n## Environment {md(section.environment)}\n\n"
    if section.plan is None:
        return text + f"**error:** {md(section.error)}\n"
    plan = io.StringIO()
    render_markdown(section.plan, plan, limit=limit, full_at=full_at)
    return text + plan.getvalue()


# --- JSON ------------------------------------------------------------------------------------


def render_sections_json(sections: Sequence[Section], out: TextIO, *, color: bool = False) -> None:
    """The plan JSON of several environments (sections_json), made safe as render_json
    makes one plan's (never in terminal colours)."""
    write_json(sections_json(sections), out)


class SectionRenderer(Protocol):
    """A renderer of `plan --format` for several environments: their sections to `out`, in
    colours when `color` (only the text has any)."""

    def __call__(
        self, sections: Sequence[Section], out: TextIO, *, color: bool = False
    ) -> None: ...


SECTION_RENDERERS: dict[str, SectionRenderer] = {
    "text": render_sections_text,
    "json": render_sections_json,
    "markdown": render_sections_markdown,
}
