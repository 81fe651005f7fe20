"""The plan renderers (campsync.sync.render): text, Markdown and JSON, written to a StringIO."""

from __future__ import annotations

import dataclasses
import io
import json
import unicodedata
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from campsync.sync.plan import Change, FieldDiff, Plan, Refusal
from campsync.sync.render import (
    RENDERERS,
    escape,
    render_json,
    render_markdown,
    render_text,
    render_value,
    shorten,
)
from tests.test_model import SAMPLE_REQUEST
from tests.test_plan_model import sample_plan

HOSTILE_NAMES = [
    "line one\nline two",
    "\x1b[31mred\x1b[0m\x07",
    "\u202etxt.exe\u202c",
    "שלום עולם קמפיין",
    "x" * 5000,
    "pipe | and `tick` and **bold** [link](http://evil) <b>tag</b> @team",
    "\ud800 lone surrogate",
    "\u2028sep\u2029",
    "\x7f\x85\x9b",
    "\U000e0001tag",
]


def text_of(plan: Plan, **options: Any) -> str:
    out = io.StringIO()
    render_text(plan, out, **options)
    return out.getvalue()


def markdown_of(plan: Plan) -> str:
    out = io.StringIO()
    render_markdown(plan, out)
    return out.getvalue()


def json_of(plan: Plan) -> str:
    out = io.StringIO()
    render_json(plan, out)
    return out.getvalue()


def raw_controls(text: str, allowed: str = "\n") -> list[str]:
    return [c for c in text if not c.isprintable() and c not in allowed]


def hostile_plan(name: str) -> Plan:
    return Plan.of(
        [
            Change("create", name, None, name, diff=(FieldDiff(name, None, name),)),
            Change("update", name, name, name, diff=(FieldDiff(name, name, [name, {name: 1}]),)),
            Change("blocked", name, "cd-1", None, reason=name),
            Change("delete", name, "cd-2", None),
        ],
        unchanged=1,
        unmanaged=[name],
        warnings=[name],
    )


# --- text ----------------------------------------------------------------------------


def test_text_lists_each_campaign_and_its_fields() -> None:
    text = text_of(sample_plan())
    lines = text.splitlines()
    assert '+ create "New One" campaigns/new.yaml' in lines
    assert '~ update "Alpha" (cd-1) campaigns/alpha.yaml' in lines
    assert '    ~ name: "alpha" -> "Alpha"' in lines
    assert '~ update "beta" (cd-2) campaigns/beta.yaml' in lines
    assert "    ~ dialingStrategy.maxRingTime: 30 -> 45" in lines
    assert '! blocked "Busy" (cd-3) campaigns/busy.yaml' in lines
    assert "    reason: the campaign is Active and can't be edited" in lines
    assert '- delete "zeta" (cd-4)' in lines
    # the order of the plan
    order = [text.index(s) for s in ('"New One"', '"Alpha"', '"beta"', '"Busy"', '"zeta"')]
    assert order == sorted(order)


def test_text_summary_unmanaged_and_warnings() -> None:
    lines = text_of(sample_plan()).splitlines()
    assert (
        "Plan: 1 to create, 2 to update, 1 to delete, 1 blocked, 4 unchanged;"
        " 2 unmanaged campaigns not touched."
    ) in lines
    at = lines.index("2 unmanaged campaigns, never touched (no file describes them):")
    assert lines[at + 1 : at + 3] == ['  "Another"', '  "legacy"']
    at = lines.index("Warnings:")
    assert lines[at + 1] == "  - campaign 'x': experienceFlowName 'y' is not comparable"


def test_text_summary_like_the_brief() -> None:
    plan = Plan.of(
        [
            Change("create", "a", None, None),
            Change("update", "b", "cd-b", None, diff=(FieldDiff("priority", "5", "4"),)),
            Change("update", "c", "cd-c", None, diff=(FieldDiff("priority", "5", "4"),)),
            Change("blocked", "d", "cd-d", None, reason="Active"),
        ],
        unchanged=4,
        unmanaged=["u"],
    )
    assert (
        "Plan: 1 to create, 2 to update, 1 blocked, 4 unchanged; 1 unmanaged campaign not touched."
        in text_of(plan).splitlines()
    )


def test_text_no_changes() -> None:
    assert text_of(Plan.of([], unchanged=3)) == (
        "No changes. The platform matches the files (3 campaigns).\n"
    )
    assert text_of(Plan.of([], unchanged=1)).startswith(
        "No changes. The platform matches the files (1 campaign)."
    )
    text = text_of(Plan.of([], unchanged=2, unmanaged=["old"], warnings=["careful"]))
    assert '  "old"' in text and "  - careful" in text


def test_text_create_shows_the_fields_it_sends() -> None:
    plan = Plan.of([Change("create", "n", None, None, diff=(FieldDiff("priority", None, "5"),))])
    assert '    + priority: "5"' in text_of(plan).splitlines()


def test_text_added_and_removed_values() -> None:
    saturday = {"day": "SA", "start": "10:00 AM", "end": "2:00 PM"}
    diffs = (
        FieldDiff("dialingStrategy.callingHours.days[SA]", None, saturday),
        FieldDiff("dialingStrategy.callingHours.days[FR]", saturday, None),
    )
    lines = text_of(Plan.of([Change("update", "n", "cd-1", None, diff=diffs)])).splitlines()
    assert (
        '    + dialingStrategy.callingHours.days[SA]: {"day": "SA", "start": "10:00 AM",'
        ' "end": "2:00 PM"}'
    ) in lines
    assert any(line.startswith("    - dialingStrategy.callingHours.days[FR]: {") for line in lines)


def test_an_added_value_has_no_arrow_from_null() -> None:
    """Issue 10, item 11: `+ queue_name: null -> "Sales Queue"`; nothing to go from."""
    added = (FieldDiff("queue_name", None, "Sales Queue"),)
    plan = Plan.of(
        [
            Change("create", "a", None, "a.yaml", diff=added),
            Change("update", "b", "cd-b", None, diff=added),
        ]
    )
    text = text_of(plan)
    assert text.count('    + queue_name: "Sales Queue"\n') == 2 and "null" not in text


def test_a_plan_of_blocked_changes_only_does_not_say_it_will_make_them() -> None:
    blocked = Change("blocked", "Busy", "cd-3", None, reason="the campaign is Active")
    text = text_of(Plan.of([blocked], unchanged=2))
    assert text.startswith("campsync can't make these changes: every one is blocked.\n")
    assert "will make" not in text
    assert markdown_of(Plan.of([blocked], unchanged=2)).startswith(
        "### campsync plan: can't make these changes: every one is blocked"
        " (1 blocked, 2 unchanged)\n"
    )
    mixed = Plan.of([blocked, Change("update", "b", "cd-b", None)])
    assert text_of(mixed).startswith("campsync will make these changes:\n")
    assert markdown_of(mixed).startswith(
        "### campsync plan: 1 to update, 1 blocked, 0 unchanged.\n"
    )


def test_long_strings_are_shortened_in_the_middle() -> None:
    before = SAMPLE_REQUEST["description"]
    after = before + " and more"
    shown = render_value(after)
    assert len(shown) <= 82
    assert shown.startswith('"This voice campaign')
    assert shown.endswith('and more"')
    assert "…" in shown
    assert render_value("short") == '"short"'
    assert render_value(None) == "null"
    assert render_value(True) == "true"
    assert render_value(["a"]) == '["a"]'


def test_shorten() -> None:
    assert shorten("abc", 3) == "abc"
    assert shorten("abcdefghij", 5) == "ab…ij"
    assert len(shorten("x" * 1000, 50)) == 50


def test_color_only_when_asked() -> None:
    plain = text_of(sample_plan())
    assert "\x1b" not in plain
    colored = text_of(sample_plan(), color=True)
    assert '\x1b[32m+ create "New One"' in colored
    assert '\x1b[33m~ update "Alpha"' in colored
    assert '\x1b[31m! blocked "Busy"' in colored
    assert '\x1b[31m- delete "zeta"' in colored


def test_escape() -> None:
    assert escape("plain") == "plain"
    assert escape("a\nb\tc\x1b") == "a\\nb\\tc\\u001b"
    assert escape("\u202e") == "\\u202e"
    assert escape("\U000e0001") == "\\udb40\\udc01"
    assert escape("a\nb", keep="\n") == "a\nb"


def test_hostile_names_in_text_are_escaped() -> None:
    for name in HOSTILE_NAMES:
        text = text_of(hostile_plan(name), color=False)
        assert raw_controls(text) == [], name
        assert len(max(text.splitlines(), key=len)) < 1000
    text = text_of(hostile_plan("a\nb"))
    assert '"a\\nb"' in text
    text = text_of(hostile_plan("\x1b[2J"))
    assert "\\u001b[2J" in text


# --- Markdown ------------------------------------------------------------------------


def test_markdown_heading_table_and_fenced_diffs() -> None:
    text = markdown_of(sample_plan())
    lines = text.splitlines()
    assert lines[0] == (
        "### campsync plan: 1 to create, 2 to update, 1 to delete, 1 blocked, 4 unchanged;"
        " 2 unmanaged campaigns not touched."
    )
    assert "| ~ | update | Alpha | cd-1 | campaigns/alpha.yaml | 1 field |" in lines
    assert any(
        line.startswith("| ! | blocked | Busy | cd-3 |") and "Active and can't be edited" in line
        for line in lines
    )
    assert "```diff" in lines
    at = lines.index("**update: beta**")
    assert lines[at + 2 : at + 6] == [
        "```diff",
        "- dialingStrategy.maxRingTime: 30",
        "+ dialingStrategy.maxRingTime: 45",
        "```",
    ]
    assert "- legacy" in lines
    assert "**Warnings**" in lines


def test_markdown_no_changes() -> None:
    text = markdown_of(Plan.of([], unchanged=2))
    assert text.startswith("### campsync plan: no changes\n")
    assert "No changes. The platform matches the files (2 campaigns)." in text


def test_markdown_escapes_pipes_backticks_and_markup() -> None:
    name = "a|b `c` <b>x</b> [l](u) @team"
    text = markdown_of(Plan.of([Change("delete", name, "cd|1", "f`x")]))
    row = next(line for line in text.splitlines() if line.startswith("| - |"))
    assert "a\\|b \\`c\\` \\<b\\>x\\</b\\> \\[l\\](u) \\@team" in row
    assert "cd\\|1" in row and "f\\`x" in row
    # the row still has exactly its 7 unescaped cell separators
    assert row.replace("\\|", "").count("|") == 7


def test_hostile_names_in_markdown() -> None:
    for name in HOSTILE_NAMES:
        text = markdown_of(hostile_plan(name))
        assert raw_controls(text) == [], name
        for line in text.splitlines():
            if line.startswith("| "):
                assert line.replace("\\|", "").count("|") == 7, line
        # a fence is only ever opened and closed by campsync's own lines
        fences = [line for line in text.splitlines() if line.startswith("```")]
        assert fences == ["```diff", "```"] * (len(fences) // 2)


# --- JSON ----------------------------------------------------------------------------


def test_json_is_exactly_the_plan_json() -> None:
    plan = sample_plan()
    assert json.loads(json_of(plan)) == plan.to_json()


def test_json_of_hostile_names_round_trips() -> None:
    for name in HOSTILE_NAMES:
        text = json_of(hostile_plan(name))
        assert raw_controls(text) == [], name
        text.encode("utf-8")  # writable to a UTF-8 stream, lone surrogates included
        data = json.loads(text)
        assert data["changes"][0]["name"] == name


def test_renderer_registry() -> None:
    assert set(RENDERERS) == {"text", "json", "markdown"}
    for render in RENDERERS.values():
        out = io.StringIO()
        render(sample_plan(), out)
        assert out.getvalue()


# --- properties ----------------------------------------------------------------------

any_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=300)
values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | any_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=50, deadline=None)
@given(
    any_text, any_text, values, values, st.sampled_from(["create", "update", "blocked", "delete"])
)
def test_property_renderers_never_raise_nor_leak_controls(
    name: str, text: str, before: Any, after: Any, action: Any
) -> None:
    change = Change(
        action,
        name,
        text or None,
        text or None,
        diff=(FieldDiff(text, before, after),),
        reason=text or "r",
    )
    plan = Plan.of([change], unchanged=1, unmanaged=[name], warnings=[text])
    for render in (render_text, render_markdown):
        out = io.StringIO()
        render(plan, out)
        assert raw_controls(out.getvalue()) == []
        out.getvalue().encode("utf-8")
    out = io.StringIO()
    render_json(plan, out)
    out.getvalue().encode("utf-8")
    assert json.loads(out.getvalue())["changes"][0]["name"] == name


def test_unicodedata_sanity() -> None:
    # bidi overrides are format characters: not printable, hence escaped
    assert unicodedata.category("\u202e") == "Cf"
    assert not "\u202e".isprintable()


def test_a_change_inside_a_long_value_is_shown_in_text_and_markdown() -> None:
    """Shortening must not hide the change: a long description edited in its middle showed
    the same `head…tail` on both sides of the arrow, so the reviewer saw no difference."""
    before = SAMPLE_REQUEST["description"]
    assert "satisfaction" in before and len(before) > 150
    after = before.replace("satisfaction", "happiness")
    lists_before = [f"Contact list {n}" for n in range(20)]
    lists_after = [*lists_before[:10], "Contact list X", *lists_before[11:]]
    diffs = (
        FieldDiff("description", before, after),
        FieldDiff("contactLists", lists_before, lists_after),
    )
    plan = Plan.of([Change("update", "n", "cd-1", None, diff=diffs)])
    text = text_of(plan)
    (description,) = [line for line in text.splitlines() if "description:" in line]
    assert "satisfaction" in description and "happiness" in description, description
    (lists,) = [line for line in text.splitlines() if "contactLists:" in line]
    assert '"Contact list 10"' in lists and '"Contact list X"' in lists, lists
    assert len(description) < 250 and len(lists) < 400
    markdown = markdown_of(plan)
    assert "satisfaction" in markdown and "happiness" in markdown
    assert '"Contact list 10"' in markdown and '"Contact list X"' in markdown


def test_a_delete_in_text_markdown_and_json() -> None:
    """Pruning's deletes (and an Active campaign blocked from one) in each format."""
    plan = Plan.of(
        [
            Change("delete", "Old Promo", "cd-9", None, updated_at="2025-01-01T00:00:00Z"),
            Change("blocked", "Running", "cd-8", None, reason="Active; stop it first"),
        ],
        unchanged=2,
        unmanaged=["Legacy"],
    )
    text = text_of(plan).splitlines()
    assert '- delete "Old Promo" (cd-9)' in text
    assert '! blocked "Running" (cd-8)' in text and "    reason: Active; stop it first" in text
    assert "Plan: 1 to delete, 1 blocked, 2 unchanged; 1 unmanaged campaign not touched." in text
    markdown = markdown_of(plan).splitlines()
    assert "| - | delete | Old Promo | cd-9 |  | no file describes it |" in markdown
    assert "| ! | blocked | Running | cd-8 |  | blocked: Active; stop it first |" in markdown
    assert "**delete: Old Promo**" not in markdown  # no field diffs to show
    data = json.loads(json_of(plan))
    assert data["changes"][1] == {  # after the blocked one: the plan's stable order
        "action": "delete",
        "id": "cd-9",
        "name": "Old Promo",
        "file": None,
        "diff": [],
    }
    assert data["summary"]["delete"] == 1 and "existing" not in data["summary"]


# --- Markdown within a pull-request comment's limit ------------------------------------


def big_plan(changes: int, unmanaged: int = 0, warnings: int = 0) -> Plan:
    diff = tuple(FieldDiff(f"dialingStrategy.field{n}", n, n + 1) for n in range(8))
    return Plan.of(
        changes=[
            Change("update", f"Campaign {i:05d}", f"cd-{i:05d}", f"campaigns/c{i:05d}.yaml", diff)
            for i in range(changes)
        ],
        unchanged=3,
        unmanaged=[f"Legacy {i:05d}" for i in range(unmanaged)],
        warnings=[f"warning number {i}" for i in range(warnings)],
    )


def test_markdown_within_the_limit_is_whole_and_uncut() -> None:
    plan = big_plan(5, unmanaged=2, warnings=1)
    out = io.StringIO()
    render_markdown(plan, out, limit=None)
    assert markdown_of(plan) == out.getvalue()
    assert "not shown" not in out.getvalue()


def test_a_large_markdown_plan_is_cut_to_whole_campaigns_with_a_closing_line() -> None:
    plan = big_plan(1000, unmanaged=50, warnings=5)
    full = io.StringIO()
    render_markdown(plan, full, limit=None)
    text = markdown_of(plan)  # the default limit: a pull-request comment's

    assert len(full.getvalue()) > 65_536 >= len(text)
    assert text.startswith("### campsync plan: 1000 to update, 3 unchanged; 50 unmanaged")
    rows = [line for line in text.splitlines() if line.startswith("| ~ | update |")]
    blocks = [line for line in text.splitlines() if line.startswith("**update: ")]
    assert len(rows) == len(blocks) > 100  # each campaign shown whole: row and diff block
    assert text.count("```diff") == text.count("```") // 2  # every fence closed
    assert blocks[-1] == f"**update: Campaign {len(blocks) - 1:05d}**"
    last = text.splitlines()[-1]
    shown = text[: text.rindex("\n… ")]
    assert last == (
        f"… {1000 - len(rows)} more changes, 50 unmanaged campaigns and 5 warnings "
        f"({len(full.getvalue()) - len(shown):,} characters) not shown: "
        "see the job summary or the plan artifact."
    )


def test_a_cut_drops_unmanaged_names_and_warnings_only_after_every_change_fits() -> None:
    plan = big_plan(3, unmanaged=3000, warnings=2)
    out = io.StringIO()
    render_markdown(plan, out, limit=20_000, full_at="the plan artifact")
    text = out.getvalue()
    assert len(text) <= 20_000
    assert text.count("**update: ") == 3
    listed = text.count("- Legacy ")
    assert 0 < listed < 3000
    assert text.splitlines()[-1].startswith(
        f"… {3000 - listed} unmanaged campaigns and 2 warnings ("
    )
    assert text.endswith(" characters) not shown: see the plan artifact.\n")


# --- a plan apply would refuse -------------------------------------------------------------

REFUSAL = Refusal(
    (
        "updates 4 of 13 campaigns (31%) > maxUpdatePercent 30",
        "deletes 4 of 13 campaigns (31%) > maxDeletePercent 30",
    )
)


def refused_plan() -> Plan:
    return dataclasses.replace(sample_plan(), refusal=REFUSAL)


def test_text_says_first_that_apply_will_refuse_and_why() -> None:
    lines = text_of(refused_plan()).splitlines()
    assert lines[:4] == [
        "apply will refuse this plan without --force:",
        "  - updates 4 of 13 campaigns (31%) > maxUpdatePercent 30",
        "  - deletes 4 of 13 campaigns (31%) > maxDeletePercent 30",
        "",
    ]
    assert lines[4] == "campsync will make these changes:"
    assert "refuse" not in text_of(sample_plan())
    coloured = text_of(refused_plan(), color=True)
    assert coloured.startswith("\x1b[1m\x1b[31mapply will refuse this plan without --force:")


def test_markdown_says_it_under_the_heading_as_a_caution() -> None:
    lines = markdown_of(refused_plan()).splitlines()
    assert lines[0].startswith("### campsync plan: 1 to create, 2 to update")
    assert lines[1:7] == [
        "",
        "> [!CAUTION]",
        "> **apply will refuse this plan without --force:**",
        "> - updates 4 of 13 campaigns (31%) \\> maxUpdatePercent 30",
        "> - deletes 4 of 13 campaigns (31%) \\> maxDeletePercent 30",
        "",
    ]
    assert lines[7].startswith("| | Action |")
    assert "CAUTION" not in markdown_of(sample_plan())


def test_a_cut_markdown_plan_keeps_its_refusal() -> None:
    plan = dataclasses.replace(big_plan(1000, unmanaged=0, warnings=0), refusal=REFUSAL)
    text = markdown_of(plan)
    assert "not shown" in text.splitlines()[-1]
    assert text.splitlines()[2:4] == [
        "> [!CAUTION]",
        "> **apply will refuse this plan without --force:**",
    ]


def test_json_carries_the_refusal_only_when_apply_would_refuse() -> None:
    data = json.loads(json_of(refused_plan()))
    assert data["refusal"] == {"reasons": list(REFUSAL.reasons), "override": "--force"}
    assert list(data) == ["format_version", "changes", "summary", "refusal", "warnings"]
    assert "refusal" not in json.loads(json_of(sample_plan()))


def test_hostile_reasons_are_escaped_in_every_form() -> None:
    for name in HOSTILE_NAMES:
        plan = dataclasses.replace(hostile_plan(name), refusal=Refusal((name,)))
        assert raw_controls(text_of(plan)) == [], name
        markdown = markdown_of(plan)
        assert raw_controls(markdown) == [], name
        caution = markdown.splitlines()[2:5]
        assert caution[0] == "> [!CAUTION]" and caution[2].startswith("> - "), name
        assert json.loads(json_of(plan))["refusal"]["reasons"] == [name]
