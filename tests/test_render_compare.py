"""Showing a comparison of two accounts (campsync.sync.render_compare): text, Markdown within
a limit, JSON; hostile names and values made safe."""

from __future__ import annotations

import io
import json
from typing import Any

from campsync.sync.compare import AccountComparison, CampaignDifference, NotCompared
from campsync.sync.plan import FieldDiff
from campsync.sync.render_compare import COMPARE_RENDERERS
from tests.test_render import HOSTILE_NAMES, raw_controls


def sample() -> AccountComparison:
    return AccountComparison(
        "staging",
        "production",
        (
            CampaignDifference(
                "different",
                "Spring Renewals",
                "campaigns/spring.yaml",
                "cd-a1",
                "cd-b7",
                (
                    FieldDiff("dialingStrategy.maxRingTime", 30, 45),
                    FieldDiff("schedule.isRecurrenceEnabled", True, None),
                ),
            ),
            CampaignDifference(
                "only_in_a",
                "Autumn Push",
                "campaigns/autumn.yaml",
                "cd-a2",
                None,
                reason="no campaign named 'Autumn Push' in 'production'",
            ),
        ),
        same=3,
        not_compared=(NotCompared("New", "campaigns/new.yaml", "no campaign in either account"),),
        unmanaged_a=("Legacy",),
        warnings=("a warning",),
    )


def rendered(kind: str, comparison: AccountComparison, **options: Any) -> str:
    out = io.StringIO()
    COMPARE_RENDERERS[kind](comparison, out, **options)
    return out.getvalue()


def test_text() -> None:
    assert rendered("text", sample()) == (
        "campsync compare: staging and production differ:\n"
        "\n"
        '~ "Spring Renewals" campaigns/spring.yaml (cd-a1 / cd-b7)\n'
        "    dialingStrategy.maxRingTime: staging 30, production 45\n"
        "    schedule.isRecurrenceEnabled: staging true, production (absent)\n"
        '< "Autumn Push" campaigns/autumn.yaml: only in staging (cd-a2)\n'
        "    no campaign named 'Autumn Push' in 'production'\n"
        "\n"
        "Compare: 1 different, 1 only in staging, 3 the same.\n"
        "\n"
        "Not compared:\n"
        '  "New" campaigns/new.yaml: no campaign in either account\n'
        "\n"
        "Unmanaged in staging (no file describes them; not compared):\n"
        '  "Legacy"\n'
        "\n"
        "Warnings:\n"
        "  - a warning\n"
    )


def test_text_without_differences() -> None:
    same = AccountComparison("staging", "production", same=4)
    assert rendered("text", same) == (
        "No differences: staging and production hold the same values for 4 campaigns, "
        "beyond what their overrides set.\n"
    )


def test_markdown() -> None:
    assert rendered("markdown", sample()) == (
        "### campsync compare: staging and production: 1 different, 1 only in staging, "
        "3 the same.\n"
        "\n"
        "| | Campaign | File | staging | production | Details |\n"
        "|---|---|---|---|---|---|\n"
        "| ~ | Spring Renewals | campaigns/spring.yaml | cd-a1 | cd-b7 | 2 fields |\n"
        "| < | Autumn Push | campaigns/autumn.yaml | cd-a2 |  | only in staging: no campaign "
        "named 'Autumn Push' in 'production' |\n"
        "\n"
        "**Spring Renewals**\n"
        "\n"
        "| Field | staging | production |\n"
        "|---|---|---|\n"
        "| dialingStrategy.maxRingTime | 30 | 45 |\n"
        "| schedule.isRecurrenceEnabled | true | (absent) |\n"
        "\n"
        "**Not compared**\n"
        "\n"
        "- New (campaigns/new.yaml): no campaign in either account\n"
        "\n"
        "**Unmanaged in staging** (no file describes them; not compared)\n"
        "\n"
        "- Legacy\n"
        "\n"
        "**Warnings**\n"
        "\n"
        "- a warning\n"
    )


def test_markdown_without_differences() -> None:
    same = AccountComparison("staging", "production", same=4)
    assert rendered("markdown", same) == (
        "### campsync compare: no differences\n\n"
        "No differences: staging and production hold the same values for 4 campaigns, "
        "beyond what their overrides set.\n"
    )


def many(count: int) -> AccountComparison:
    campaigns = tuple(
        CampaignDifference(
            "different",
            f"Campaign {i:04d}",
            f"campaigns/c{i:04d}.yaml",
            f"cd-a{i}",
            f"cd-b{i}",
            (FieldDiff("description", "a" * 300, "b" * 300),),
        )
        for i in range(count)
    )
    warnings = tuple(f"warning number {i}" for i in range(100))
    return AccountComparison("staging", "production", campaigns, warnings=warnings)


def test_markdown_is_cut_at_the_limit_by_whole_campaigns_saying_so() -> None:
    text = rendered("markdown", many(400), limit=20_000)
    assert len(text) <= 20_000
    rows = text.count("| ~ | Campaign ")
    tables = text.count("| Field | staging | production |")
    assert 0 < rows == tables < 400
    assert "**Warnings**" not in text
    assert text.endswith(
        f"\n… {400 - rows} more campaigns and what was not compared, unmanaged campaigns and "
        "warnings not shown: see `campsync compare --json`.\n"
    )
    whole = rendered("markdown", many(400), limit=None)
    assert whole.count("| ~ | Campaign ") == 400 and "**Warnings**" in whole


def test_markdown_cut_only_in_its_notes_keeps_every_campaign() -> None:
    comparison = many(3)
    whole = rendered("markdown", comparison, limit=None)
    notes = len(whole) - whole.index("\n**Warnings**")
    assert notes > 1000
    text = rendered("markdown", comparison, limit=len(whole) - notes + 300)
    assert text.count("| ~ | Campaign ") == 3
    assert text.endswith(
        "\n… what was not compared, unmanaged campaigns and warnings not shown: "
        "see `campsync compare --json`.\n"
    )


def test_json_is_the_comparisons_json() -> None:
    document = json.loads(rendered("json", sample()))
    assert document == json.loads(json.dumps(sample().to_json()))
    assert document["format_version"] == 1


def test_hostile_names_values_and_environments_are_made_safe() -> None:
    for name in HOSTILE_NAMES:
        comparison = AccountComparison(
            name,
            "production",
            (
                CampaignDifference(
                    "different", name, name, name, "cd-b", (FieldDiff(name, name, None),)
                ),
                CampaignDifference("only_in_b", name, "x.yaml", None, "cd", reason=name),
            ),
            not_compared=(NotCompared(name, name, name),),
            unmanaged_b=(name,),
            warnings=(name,),
        )
        for kind in ("text", "markdown"):
            text = rendered(kind, comparison)
            assert raw_controls(text) == [], (kind, name)
            assert len(max(text.splitlines(), key=len)) < 1500, (kind, name)
        markdown = rendered("markdown", comparison)
        for line in markdown.splitlines():
            if line.startswith("| "):  # a row of a table of 6 columns, or of 3
                assert line.replace("\\|", "").count("|") in (7, 4), line
        document = json.loads(rendered("json", comparison))
        assert document["campaigns"][0]["name"] == name
