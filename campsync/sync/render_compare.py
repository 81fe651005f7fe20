"""Showing a comparison of two accounts (`campsync compare`): text, Markdown (a pull-request
comment or a job summary) and JSON (sync.compare.AccountComparison.to_json). Each renderer
writes to a text stream; every name, value and reason is made safe as the plan renderers
make them (campsync.sync.render)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

from campsync.sync.compare import AccountComparison, CampaignDifference
from campsync.sync.plan import FieldDiff
from campsync.sync.render import (
    MARKDOWN_LIMIT,
    NAME_LIMIT,
    md,
    render_pair,
    render_value,
    show_name,
    show_text,
    write_json,
)
from campsync.text import plural

SYMBOLS = {"different": "~", "only_in_a": "<", "only_in_b": ">"}
ABSENT = "(absent)"
FULL_COMPARE_AT = "`campsync compare --json`"
_CUT_ROOM = 200  # the closing line of a cut comparison fits in this


def summary_line(comparison: AccountComparison) -> str:
    """`Compare: 1 different, 1 only in staging, 3 the same.` (counts of zero left out,
    except the same)."""
    counts = comparison.summary
    a, b = show_text(comparison.a), show_text(comparison.b)
    parts = [
        f"{counts[key]} {label}"
        for key, label in (
            ("different", "different"),
            ("only_in_a", f"only in {a}"),
            ("only_in_b", f"only in {b}"),
        )
        if counts[key]
    ]
    parts.append(f"{counts['same']} the same")
    return "Compare: " + ", ".join(parts) + "."


def no_differences_line(comparison: AccountComparison) -> str:
    a, b = show_text(comparison.a), show_text(comparison.b)
    return (
        f"No differences: {a} and {b} hold the same values for "
        f"{plural(comparison.same, 'campaign')}, beyond what their overrides set."
    )


def _sides(diff: FieldDiff) -> tuple[str, str]:
    """Both values of a field for output: a long pair from its first difference, an absent
    one said so."""
    if diff.before is None or diff.after is None:
        return (
            ABSENT if diff.before is None else render_value(diff.before),
            ABSENT if diff.after is None else render_value(diff.after),
        )
    return render_pair(diff.before, diff.after)


def _ids(campaign: CampaignDifference) -> str:
    ids = [show_text(i, NAME_LIMIT) for i in (campaign.id_a, campaign.id_b) if i]
    return f" ({' / '.join(ids)})" if ids else ""


def _where(comparison: AccountComparison, campaign: CampaignDifference) -> str:
    """What a presence difference is, in words: `only in 'staging'`."""
    side = comparison.a if campaign.kind == "only_in_a" else comparison.b
    return f"only in {show_text(side)}"


# --- text ------------------------------------------------------------------------------------


def render_compare_text(comparison: AccountComparison, out: TextIO) -> None:
    """Each campaign that differs with its fields (A's value, then B's), a summary line, then
    what was not compared, each account's unmanaged campaigns and the warnings."""
    a, b = show_text(comparison.a), show_text(comparison.b)
    if comparison.campaigns:
        out.write(f"campsync compare: {a} and {b} differ:\n\n")
        for campaign in comparison.campaigns:
            head = f"{SYMBOLS[campaign.kind]} {show_name(campaign.name)} {show_text(campaign.file)}"
            if campaign.kind == "different":
                out.write(f"{head}{_ids(campaign)}\n")
            else:
                out.write(f"{head}: {_where(comparison, campaign)}{_ids(campaign)}\n")
                out.write(f"    {show_text(campaign.reason)}\n")
            for diff in campaign.diff:
                value_a, value_b = _sides(diff)
                out.write(f"    {show_text(diff.path)}: {a} {value_a}, {b} {value_b}\n")
        out.write(f"\n{summary_line(comparison)}\n")
    else:
        out.write(no_differences_line(comparison) + "\n")
    if comparison.not_compared:
        out.write("\nNot compared:\n")
        for item in comparison.not_compared:
            line = f"{show_name(item.name)} {show_text(item.file)}: {show_text(item.reason)}"
            out.write(f"  {line}\n")
    for side, names in ((a, comparison.unmanaged_a), (b, comparison.unmanaged_b)):
        if names:
            out.write(f"\nUnmanaged in {side} (no file describes them; not compared):\n")
            out.writelines(f"  {show_name(name)}\n" for name in names)
    if comparison.warnings:
        out.write("\nWarnings:\n")
        out.writelines(f"  - {show_text(warning)}\n" for warning in comparison.warnings)


# --- Markdown --------------------------------------------------------------------------------


def render_compare_markdown(
    comparison: AccountComparison,
    out: TextIO,
    *,
    limit: int | None = MARKDOWN_LIMIT,
    full_at: str = FULL_COMPARE_AT,
) -> None:
    """A heading with the summary, a table of the campaigns that differ, each one's fields
    in a table of its own (A's value, B's value), then what was not compared, unmanaged
    campaigns and warnings. At most `limit` characters (None: no limit): a longer one leaves
    out those notes, then whole campaigns from the end, and a last line says what was left
    out and where to see everything (`full_at`)."""
    head, campaigns, tail = _markdown_parts(comparison)
    rest = "".join(tail)
    whole = head + "".join(row for row, _ in campaigns) + "".join(b for _, b in campaigns) + rest
    if limit is None or len(whole) <= limit:
        out.write(whole)
        return
    budget = limit - _CUT_ROOM - len(head)
    kept = 0
    for row, block in campaigns:
        if len(row) + len(block) > budget:
            break
        budget -= len(row) + len(block)
        kept += 1
    shown = campaigns[:kept]
    out.write(head + "".join(row for row, _ in shown) + "".join(b for _, b in shown))
    # Cut at all, the notes never fit whole after every campaign kept: they go.
    left = [plural(len(campaigns) - kept, "more campaign")] if kept < len(campaigns) else []
    if rest:
        left.append("what was not compared, unmanaged campaigns and warnings")
    out.write(f"\n… {' and '.join(left)} not shown: see {full_at}.\n")


def _markdown_parts(
    comparison: AccountComparison,
) -> tuple[str, list[tuple[str, str]], list[str]]:
    """The heading (with the table's head), each campaign's table row and field table, and
    the pieces after them: what a cut keeps or drops."""
    a, b = md(comparison.a), md(comparison.b)
    if not comparison.campaigns:
        head = f"### campsync compare: no differences\n\n{md(no_differences_line(comparison))}\n"
    else:
        heading = md(summary_line(comparison).removeprefix("Compare: "))
        head = (
            f"### campsync compare: {a} and {b}: {heading}\n\n"
            f"| | Campaign | File | {a} | {b} | Details |\n"
            "|---|---|---|---|---|---|\n"
        )
    campaigns: list[tuple[str, str]] = []
    for campaign in comparison.campaigns:
        details = (
            plural(len(campaign.diff), "field")
            if campaign.kind == "different"
            else f"{md(_where(comparison, campaign))}: {md(campaign.reason)}"
        )
        row = (
            f"| {SYMBOLS[campaign.kind]} | {md(campaign.name, NAME_LIMIT)} | {md(campaign.file)}"
            f" | {md(campaign.id_a or '')} | {md(campaign.id_b or '')} | {details} |\n"
        )
        block = ""
        if campaign.diff:
            block = (
                f"\n**{md(campaign.name, NAME_LIMIT)}**\n\n| Field | {a} | {b} |\n|---|---|---|\n"
            )
            for diff in campaign.diff:
                value_a, value_b = _sides(diff)
                block += f"| {md(diff.path)} | {md(value_a)} | {md(value_b)} |\n"
        campaigns.append((row, block))
    tail: list[str] = []
    if comparison.not_compared:
        tail.append("\n**Not compared**\n\n")
        tail.extend(
            f"- {md(item.name, NAME_LIMIT)} ({md(item.file)}): {md(item.reason)}\n"
            for item in comparison.not_compared
        )
    for side, names in ((a, comparison.unmanaged_a), (b, comparison.unmanaged_b)):
        if names:
            tail.append(f"\n**Unmanaged in {side}** (no file describes them; not compared)\n\n")
            tail.extend(f"- {md(name, NAME_LIMIT)}\n" for name in names)
    if comparison.warnings:
        tail.append("\n**Warnings**\n\n")
        tail.extend(f"- {md(warning)}\n" for warning in comparison.warnings)
    return head, campaigns, tail


# --- JSON ------------------------------------------------------------------------------------


def render_compare_json(comparison: AccountComparison, out: TextIO) -> None:
    """The compare JSON (AccountComparison.to_json), made safe as the plan JSON is."""
    write_json(comparison.to_json(), out)


COMPARE_RENDERERS: dict[str, Callable[..., Any]] = {
    "text": render_compare_text,
    "json": render_compare_json,
    "markdown": render_compare_markdown,
}
