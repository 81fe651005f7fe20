"""Showing a plan: text (Terraform-like), Markdown (a pull-request comment), JSON
(the contract's plan JSON). Each renderer writes to a text stream. A plan that apply would
refuse without --force says so first, in every form.

Names, reasons and values come from files and from the platform, so they may hold
anything: newlines, terminal escape sequences, bidirectional overrides, thousands
of characters. Text and Markdown output never carries such a character raw: every
non-printable character is written as a JSON-style escape (`\\n`, `\\u202e`), long
values are shortened in the middle, and Markdown metacharacters are escaped.
"""

from __future__ import annotations

import collections
import json
from collections.abc import Iterable
from typing import Any, Protocol, TextIO

from campsync.sync.plan import RUN_ACTIONS, Change, FieldDiff, Plan, Refusal, Since
from campsync.sync.results import ApplyResults
from campsync.sync.runstate import waits_for_ready
from campsync.text import escape, plural, redact, shorten

NAME_LIMIT = 100
STRING_LIMIT = 80
VALUE_LIMIT = 160
REASON_LIMIT = 300

# The headline of a plan whose every change is blocked (text and Markdown).
ALL_BLOCKED = "can't make these changes: every one is blocked"

SYMBOLS = {"create": "+", "stop": "<", "update": "~", "start": ">", "blocked": "!", "delete": "-"}
# In a Markdown table `<` and `>` could open an HTML tag: escaped, they show as written.
_MD_SYMBOLS = {**SYMBOLS, "stop": "\\<", "start": "\\>"}
_COLORS = {
    "create": "\x1b[32m",
    "stop": "\x1b[35m",
    "update": "\x1b[33m",
    "start": "\x1b[36m",
    "blocked": "\x1b[31m",
    "delete": "\x1b[31m",
}
_BOLD = "\x1b[1m"
_RESET = "\x1b[0m"
_MARKDOWN_SPECIAL = set("\\`*_[]<>|~&#!@")
# A GitHub pull-request comment (and issue body) holds at most 65,536 characters.
MARKDOWN_LIMIT = 65_536
FULL_PLAN_AT = "the job summary or the plan artifact"
_CUT_LINE_ROOM = 200  # the closing line of a cut plan fits in this


# --- shared helpers ----------------------------------------------------------------------


def render_value(value: Any) -> str:
    """A diff value for text output: JSON, strings quoted, long ones shortened in
    the middle, no raw control characters."""
    if isinstance(value, str):
        return shorten(escape(_dumps(shorten(value, STRING_LIMIT))), VALUE_LIMIT)
    return shorten(escape(_dumps(value)), VALUE_LIMIT)


def render_pair(before: Any, after: Any) -> tuple[str, str]:
    """Both sides of a changed value for text output. Long values are cut to a window
    that starts just before their first difference, so the change itself stays
    visible (shortening each side in the middle could show the same text twice)."""
    # Tokens redacted before any cut: a window may start inside one (see text.shorten).
    whole_before, whole_after = redact(_dumps(before)), redact(_dumps(after))
    limit = STRING_LIMIT if isinstance(before, str) and isinstance(after, str) else VALUE_LIMIT
    if len(whole_before) <= limit and len(whole_after) <= limit:
        return render_value(before), render_value(after)
    common = 0
    for char_before, char_after in zip(whole_before, whole_after, strict=False):
        if char_before != char_after:
            break
        common += 1
    start = max(0, common - limit // 4)
    return _window(whole_before, start, limit), _window(whole_after, start, limit)


def _window(text: str, start: int, limit: int) -> str:
    piece = text[start : start + limit]
    head = "…" if start > 0 else ""
    tail = "…" if start + limit < len(text) else ""
    return escape(head + piece + tail)


def _no_file(count: int) -> str:
    return "no file describes it" if count == 1 else "no file describes them"


def show_name(name: Any) -> str:
    """A campaign name, quoted and made safe for a terminal."""
    return escape(_dumps(shorten(str(name), NAME_LIMIT)))


def show_text(text: Any, limit: int = REASON_LIMIT) -> str:
    """Free text (a reason, a warning, a file path) made safe, not quoted."""
    return shorten(escape(str(text)), limit)


def summary_line(plan: Plan) -> str:
    """`Plan: 1 to create, 1 to stop, 2 to update, 1 to start (1 restart), 1 blocked, 4
    unchanged; 1 unmanaged campaign not touched.` (counts of zero left out, except
    unchanged)."""
    counts = plan.summary
    parts = [
        f"{counts[key]} {label}"
        for key, label in (
            ("create", "to create"),
            ("stop", "to stop"),
            ("update", "to update"),
            ("start", "to start"),
            ("delete", "to delete"),
            ("blocked", "blocked"),
        )
        if counts[key]
    ]
    restarts = len(plan.restarts)
    if restarts:
        at = parts.index(f"{counts['start']} to start")
        parts[at] += f" ({plural(restarts, 'restart')})"
    parts.append(f"{counts['unchanged']} unchanged")
    line = "Plan: " + ", ".join(parts)
    if counts["unmanaged"]:
        line += f"; {plural(counts['unmanaged'], 'unmanaged campaign')} not touched"
    return line + "."


def all_blocked(plan: Plan) -> bool:
    """Changes, none of which apply can make."""
    return bool(plan.changes) and all(change.action == "blocked" for change in plan.changes)


def no_changes_line(plan: Plan) -> str:
    return f"No changes. The platform matches the files ({plural(plan.unchanged, 'campaign')})."


# How a difference's origin is told beside it (sync.origin); files' differences are a plan's
# plain meaning, and an unknown origin says nothing.
_DIFF_ORIGIN = {"platform": "edited on the platform", "both": "edited on both sides"}
_WHY_IN_FULL = {
    "file": "file changed",
    "config": "campsync.yaml entry changed",
    "list": "list entry differs",
    "platform": "changed on the platform",
}
IN_FULL_SHOWN = 10  # campaigns named in the line of `plan --since`; the rest counted
SINCE_LIMIT = 2_000


def origin_line(change: Change) -> str | None:
    """What an update's origin says, when it is the platform's (in part): an edit made there
    (in the web UI, say) that apply reverts."""
    at = f" at {show_text(change.updated_at, NAME_LIMIT)}" if change.updated_at else ""
    if change.origin == "platform":
        return f"changed on the platform{at}; apply reverts it"
    if change.origin == "both":
        return f"changed in the files and on the platform{at}; apply reverts the platform's edits"
    return None


def since_line(since: Since) -> str:
    """`Compared in full since 'main': 2 of 40 campaigns ("A": file changed, ...); the
    others on what the list returns.` (text; Markdown escapes it)."""
    total = len(since.in_full) + since.on_list
    named = [
        f"{show_name(each.name)}: {_WHY_IN_FULL.get(each.reason, each.reason)}"
        for each in since.in_full[:IN_FULL_SHOWN]
    ]
    more = len(since.in_full) - len(named)
    if more:
        named.append(f"{more:,} more")
    listing = f" ({', '.join(named)})" if named else ""
    ref = show_text(since.ref, NAME_LIMIT)
    of = f"{total:,} {'campaign' if total == 1 else 'campaigns'}"
    line = f"Compared in full since '{ref}': {len(since.in_full):,} of {of}"
    return f"{line}{listing}; the others on what the list returns."


def _dumps(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        return repr(value)


def _sides(diff: FieldDiff) -> tuple[str, str]:
    """Both sides of a diff for text output (a change shown from its first difference)."""
    if diff.before is not None and diff.after is not None:
        return render_pair(diff.before, diff.after)
    return render_value(diff.before), render_value(diff.after)


# --- text ----------------------------------------------------------------------------


def render_text(plan: Plan, out: TextIO, *, color: bool = False) -> None:
    """The plan as Terraform shows one: a line per campaign, the changed fields
    under it, a summary line, the unmanaged campaigns and the warnings."""

    def paint(action: str, text: str) -> str:
        return f"{_COLORS[action]}{text}{_RESET}" if color else text

    if plan.refusal is not None:
        head = refusal_line(plan.refusal) + ":"
        out.write((f"{_BOLD}{_COLORS['blocked']}{head}{_RESET}" if color else head) + "\n")
        for reason in plan.refusal.reasons:
            out.write(f"  - {show_text(reason)}\n")
        out.write("\n")
    if plan.changes:
        if all_blocked(plan):
            out.write(f"campsync {ALL_BLOCKED}.\n\n")
        else:
            out.write("campsync will make these changes:\n\n")
        restarts = plan.restarts
        for change in plan.changes:
            out.write(paint(change.action, _headline(change, restarts)) + "\n")
            if change.action == "blocked":
                out.write(f"    reason: {show_text(change.reason)}\n")
            told = origin_line(change)
            if told is not None:
                out.write(f"    {told}\n")
            for diff in change.diff:
                out.write("    " + _text_diff(diff) + _diff_origin(diff) + "\n")
        out.write("\n")
        line = summary_line(plan)
        out.write((f"{_BOLD}{line}{_RESET}" if color else line) + "\n")
    else:
        out.write(no_changes_line(plan) + "\n")
    if plan.since is not None:
        out.write(since_line(plan.since) + "\n")
    if plan.unmanaged:
        count = len(plan.unmanaged)
        out.write(f"\n{plural(count, 'unmanaged campaign')}, never touched ({_no_file(count)}):\n")
        for name in plan.unmanaged:
            out.write(f"  {show_name(name)}\n")
    _write_warnings(plan.warnings, out)


def refusal_line(refusal: Refusal) -> str:
    """`apply will refuse this plan without --force` (text and Markdown)."""
    return f"apply will refuse this plan without {show_text(refusal.override, NAME_LIMIT)}"


def _headline(change: Change, restarts: frozenset[str]) -> str:
    line = f"{SYMBOLS[change.action]} {change.action} {show_name(change.name)}"
    if change.id:
        line += f" ({show_text(change.id, NAME_LIMIT)})"
    if change.file:
        line += f" {show_text(change.file)}"
    note = _run_note(change, restarts)
    return f"{line} ({note})" if note else line


def _run_note(change: Change, restarts: frozenset[str]) -> str:
    """What a change's place in its campaign's run state says: part of a restart (an Active
    campaign stopped, updated and started again), or a start once the campaign is Ready."""
    if change.action in ("stop", "update", "start") and change.campaign in restarts:
        return "restart"
    if waits_for_ready(change):
        return "once Ready"
    return ""


def _text_diff(diff: FieldDiff) -> str:
    path = show_text(diff.path)
    before, after = _sides(diff)
    if diff.before is None:  # a value added (every value of a create): nothing to go from
        return f"+ {path}: {after}"
    kind = "-" if diff.after is None else "~"
    return f"{kind} {path}: {before} -> {after}"


def _diff_origin(diff: FieldDiff) -> str:
    """A difference's own origin, beside it, when it is the platform's (in part)."""
    told = _DIFF_ORIGIN.get(diff.origin or "")
    return f"  ({told})" if told else ""


def _write_warnings(warnings: Iterable[str], out: TextIO) -> None:
    warnings = list(warnings)
    if warnings:
        out.write("\nWarnings:\n")
        for warning in warnings:
            out.write(f"  - {show_text(warning)}\n")


# --- Markdown ------------------------------------------------------------------------


def md(text: Any, limit: int = REASON_LIMIT) -> str:
    """Inline Markdown text: escaped so that it shows as written and cannot open a
    link, a code span, an HTML tag, a mention or a table cell."""
    safe = show_text(text, limit)
    return "".join("\\" + char if char in _MARKDOWN_SPECIAL else char for char in safe)


def render_markdown(
    plan: Plan,
    out: TextIO,
    *,
    color: bool = False,
    limit: int | None = MARKDOWN_LIMIT,
    full_at: str = FULL_PLAN_AT,
) -> None:
    """The plan as a pull-request comment: a heading with the summary, a table of
    the changes, then the field diffs of each change in a fenced diff block (never in
    terminal colours, whatever `color` says).

    At most `limit` characters (None: no limit). A longer plan keeps its heading and
    loses whole campaigns from the end (each one's table row and diff block), then
    unmanaged names and warnings, and ends with a line saying how much was left out and
    where the full plan is (`full_at`)."""
    head, changes, tail = _markdown_parts(plan)
    whole = head + "".join(row for row, _ in changes) + "".join(b for _, b in changes)
    whole += "".join(text for _, text in tail)
    if limit is None or len(whole) <= limit:
        out.write(whole)
        return
    budget = limit - _CUT_LINE_ROOM
    used = len(head)
    kept = 0
    for row, block in changes:
        if used + len(row) + len(block) > budget:
            break
        used += len(row) + len(block)
        kept += 1
    tail_kept = 0
    while kept == len(changes) and tail_kept < len(tail):
        if used + len(tail[tail_kept][1]) > budget:
            break
        used += len(tail[tail_kept][1])
        tail_kept += 1
    shown = changes[:kept]
    text = head + "".join(row for row, _ in shown) + "".join(b for _, b in shown)
    text += "".join(piece for _, piece in tail[:tail_kept])
    left = collections.Counter(kind for kind, _ in tail[tail_kept:])
    counts = [
        (len(changes) - kept, "more change"),
        (left["unmanaged"], "unmanaged campaign"),
        (left["warning"], "warning"),
    ]
    what = _and([plural(count, noun) for count, noun in counts if count])
    out.write(text)
    out.write(f"\n… {what} ({len(whole) - len(text):,} characters) not shown: see {full_at}.\n")


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _markdown_parts(plan: Plan) -> tuple[str, list[tuple[str, str]], list[tuple[str, str]]]:
    """The heading (with the table's head), each change's table row and diff block, and
    the pieces after them (unmanaged campaigns, warnings, each with its kind): the pieces
    a cut keeps or drops."""
    # What `plan --since` compared in full: under the refusal (which comes first), never cut.
    since = f"{md(since_line(plan.since), SINCE_LIMIT)}\n\n" if plan.since else ""
    if not plan.changes:
        head = "### campsync plan: no changes\n\n"
        head += f"{_markdown_refusal(plan)}{since}{no_changes_line(plan)}\n"
    else:
        heading = summary_line(plan).removeprefix("Plan: ")
        if all_blocked(plan):
            heading = f"{ALL_BLOCKED} ({heading.removesuffix('.')})"
        head = (
            f"### campsync plan: {heading}\n\n{_markdown_refusal(plan)}{since}"
            "| | Action | Campaign | ID | File | Details |\n"
            "|---|---|---|---|---|---|\n"
        )
    changes: list[tuple[str, str]] = []
    restarts = plan.restarts
    for change in plan.changes:
        details = (
            f"blocked: {md(change.reason)}"
            if change.action == "blocked"
            else _run_details(change, restarts)
            if change.action in RUN_ACTIONS
            else _no_file(1)
            if change.action == "delete"
            else plural(len(change.diff), "field")
            if change.diff
            else ""
        )
        if change.action == "update" and change.campaign in restarts:
            details += " (restart)"
        told = origin_line(change)
        if told is not None:
            details += f"; {md(told)}"
        row = (
            f"| {_MD_SYMBOLS[change.action]} | {change.action} | {md(change.name, NAME_LIMIT)}"
            f" | {md(change.id or '')} | {md(change.file or '')} | {details} |\n"
        )
        block = ""
        if change.diff and change.action not in RUN_ACTIONS:
            block = f"\n**{change.action}: {md(change.name, NAME_LIMIT)}**\n\n"
            if told is not None:
                block += f"{md(told[:1].upper() + told[1:])}.\n\n"
            block += "```diff\n"
            for diff in change.diff:
                path = show_text(diff.path)
                before, after = _sides(diff)
                told_here = _diff_origin(diff)  # on the first line of the two
                if diff.before is not None:
                    block += f"- {path}: {before}{told_here}\n"
                    told_here = ""
                if diff.after is not None:
                    block += f"+ {path}: {after}{told_here}\n"
            block += "```\n"
        changes.append((row, block))
    tail: list[tuple[str, str]] = []
    if plan.unmanaged:
        count = len(plan.unmanaged)
        title = f"\n{plural(count, 'unmanaged campaign')} not touched ({_no_file(count)}):\n\n"
        tail.append(("heading", title))
        tail.extend(("unmanaged", f"- {md(name, NAME_LIMIT)}\n") for name in plan.unmanaged)
    if plan.warnings:
        tail.append(("heading", "\n**Warnings**\n\n"))
        tail.extend(("warning", f"- {md(warning)}\n") for warning in plan.warnings)
    return head, changes, tail


def _run_details(change: Change, restarts: frozenset[str]) -> str:
    """A start's or stop's table cell: the status it moves the campaign from and to
    (`Ready to Active`), and its note (restart, once Ready)."""
    moves = [f"{md(d.before)} to {md(d.after)}" for d in change.diff if d.path == "status"]
    note = _run_note(change, restarts)
    text = moves[0] if moves else ""
    return f"{text} ({note})" if note else text


def _markdown_refusal(plan: Plan) -> str:
    """A refused plan's alert (GitHub's and GitLab's `[!CAUTION]` blockquote), under the
    heading, never cut: the reasons and the flag."""
    if plan.refusal is None:
        return ""
    reasons = "".join(f"> - {md(reason)}\n" for reason in plan.refusal.reasons)
    return f"> [!CAUTION]\n> **{md(refusal_line(plan.refusal))}:**\n{reasons}\n"


# --- JSON ----------------------------------------------------------------------------


def render_json(plan: Plan, out: TextIO, *, color: bool = False) -> None:
    """Exactly the contract's plan JSON (with `summary.unmanaged`, `warnings`, and `refusal`
    when apply would refuse the plan; never in terminal colours, whatever `color` says)."""
    write_json(plan.to_json(), out)


def render_results_json(results: ApplyResults, out: TextIO) -> None:
    """The result JSON of `apply --json`: each change's outcome, and their counts."""
    write_json(results.to_json(), out)


def write_json(document: Any, out: TextIO) -> None:
    """A JSON document, indented, with no raw control character."""
    text = json.dumps(document, indent=2, ensure_ascii=False, default=str)
    # JSON strings hold no raw newline, so every other non-printable character is
    # inside a string, where a \\u escape is valid JSON (and a lone surrogate can
    # still be written to a UTF-8 stream).
    out.write(escape(text, keep="\n") + "\n")


class Renderer(Protocol):
    """A renderer of `plan --format`: the plan to `out`, in colours when `color` (only the
    text plan has any)."""

    def __call__(self, plan: Plan, out: TextIO, *, color: bool = False) -> None: ...


RENDERERS: dict[str, Renderer] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
}
