"""The plans of several environments (campsync.sync.render_sections): one section per
environment in text and Markdown, the contract's JSON keyed by environment, an
environment's error in its own section."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from campsync.sync.plan import Change, FieldDiff, Plan
from campsync.sync.render import render_markdown, render_text
from campsync.sync.render_sections import (
    SECTION_RENDERERS,
    Section,
    overview,
    sections_json,
)
from tests.test_plan_model import sample_plan

NO_CHANGES = Plan.of(unchanged=4)
SAMPLE_OVERVIEW = (
    "1 to create, 2 to update, 1 to delete, 1 blocked, 4 unchanged; "
    "2 unmanaged campaigns not touched"
)
REFUSED = "the platform refused the credentials (401): check KORE_PRODUCTION_CLIENT_SECRET"


def three() -> list[Section]:
    return [
        Section("staging", sample_plan()),
        Section("production", NO_CHANGES),
        Section("eu", error=REFUSED),
    ]


def big_plan(count: int, size: int = 400) -> Plan:
    changes = [
        Change(
            "update",
            f"Campaign {i:04d}",
            f"cd-{i:04d}",
            f"campaigns/c{i:04d}.yaml",
            diff=(FieldDiff("description", "a" * size, "b" * size),),
        )
        for i in range(count)
    ]
    return Plan.of(changes, existing=count)


def rendered(kind: str, sections: list[Section], **options: Any) -> str:
    out = io.StringIO()
    SECTION_RENDERERS[kind](sections, out, **options)
    return out.getvalue()


def test_a_section_has_a_plan_or_an_error() -> None:
    with pytest.raises(ValueError):
        Section("staging")
    with pytest.raises(ValueError):
        Section("staging", NO_CHANGES, error="both")


def test_the_json_of_several_environments_holds_each_plan_as_its_own_json() -> None:
    sections = three()
    document = json.loads(rendered("json", sections))
    assert document == {
        "format_version": 1,
        "environments": {
            "staging": json.loads(json.dumps(sample_plan().to_json())),
            "production": NO_CHANGES.to_json(),
        },
        "errors": {"eu": REFUSED},
    }
    assert list(document["environments"]) == ["staging", "production"]  # as given


def test_the_json_has_no_errors_key_when_every_environment_has_its_plan() -> None:
    document = sections_json([Section("a", NO_CHANGES), Section("b", NO_CHANGES)])
    assert set(document) == {"format_version", "environments"}


def test_the_json_keeps_hostile_text_valid_and_escaped() -> None:
    plan = Plan.of([Change("create", "red\x1b[31m\u202e", None, "x.yaml")])
    text = rendered("json", [Section("a", plan), Section("b", error="bad \x07 bell")])
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    document = json.loads(text)
    assert document["environments"]["a"]["changes"][0]["name"] == "red\x1b[31m\u202e"
    assert document["errors"]["b"] == "bad \x07 bell"


def test_text_has_one_section_per_environment_each_as_the_plan_alone() -> None:
    text = rendered("text", three())
    staging, rest = text.split("=== environment production ===\n\n")
    production, eu = rest.split("=== environment eu ===\n\n")
    alone = io.StringIO()
    render_text(sample_plan(), alone)
    assert staging == "=== environment staging ===\n\n" + alone.getvalue() + "\n"
    assert production.startswith("No changes. The platform matches the files (4 campaigns).")
    assert eu.startswith(f"error: {REFUSED}\n")
    assert eu.endswith(
        "\n3 environments:\n"
        f"  staging     {SAMPLE_OVERVIEW}\n"
        "  production  no changes (4 campaigns)\n"
        f"  eu          error: {REFUSED}\n"
    )


def test_text_in_colour_paints_headings_and_errors_only_when_asked() -> None:
    assert "\x1b[" not in rendered("text", three())
    painted = rendered("text", three(), color=True)
    assert "\x1b[1m=== environment eu ===\x1b[0m" in painted
    assert f"\x1b[31merror: {REFUSED}\x1b[0m" in painted


def test_text_escapes_an_environments_error() -> None:
    text = rendered("text", [Section("a", error="line\nbreak \x1b[2J")])
    assert "\x1b[2J" not in text
    assert "error: line\\nbreak \\u001b[2J" in text


def test_markdown_has_a_table_of_environments_then_each_plan_under_its_heading() -> None:
    text = rendered("markdown", three())
    head, staging, production, eu = text.split("\n## Environment ")
    assert head == (
        "## campsync plan: 3 environments\n\n"
        "| Environment | Plan |\n|---|---|\n"
        f"| staging | {SAMPLE_OVERVIEW} |\n"
        "| production | no changes (4 campaigns) |\n"
        "| eu | error: the platform refused the credentials (401): check "
        "KORE\\_PRODUCTION\\_CLIENT\\_SECRET |\n"
    )
    alone = io.StringIO()
    render_markdown(sample_plan(), alone)
    assert staging == "staging\n\n" + alone.getvalue()
    assert production.startswith("production\n\n### campsync plan: no changes")
    assert eu == (
        "eu\n\n**error:** the platform refused the credentials (401): check "
        "KORE\\_PRODUCTION\\_CLIENT\\_SECRET\n"
    )


def test_markdown_of_several_large_plans_stays_within_the_limit_sharing_it() -> None:
    sections = [Section(name, big_plan(200)) for name in ("staging", "production", "eu")]
    text = rendered("markdown", sections)
    assert len(text) <= 65_536
    # every environment shows its heading and some of its plan, and says what it left out
    for name in ("staging", "production", "eu"):
        part = text.split(f"## Environment {name}\n\n", 1)[1]
        assert part.startswith("### campsync plan: 200 to update")
        assert "| ~ | update | Campaign 0000 |" in part
    assert text.count("not shown: see the job summary or the plan artifact.") == 3


def test_markdown_gives_what_a_short_plan_leaves_to_the_next() -> None:
    sections = [Section("small", NO_CHANGES), Section("large", big_plan(100))]
    limit = 30_000
    text = rendered("markdown", sections, limit=limit)
    assert len(text) <= limit
    large = text.split("## Environment large\n\n", 1)[1]
    # the large plan got nearly all the room, not half of it
    assert len(large) > limit * 0.8


def test_markdown_without_a_limit_is_every_plan_whole() -> None:
    sections = [Section("a", big_plan(200)), Section("b", big_plan(200))]
    text = rendered("markdown", sections, limit=None)
    assert "not shown" not in text
    assert text.count("| ~ | update |") == 400


def test_overview() -> None:
    assert overview(Section("a", NO_CHANGES)) == "no changes (4 campaigns)"
    assert overview(Section("a", error="boom")) == "error: boom"
    assert overview(Section("a", sample_plan())) == SAMPLE_OVERVIEW
