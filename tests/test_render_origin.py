"""Where a difference came from, and what `plan --since` compared in full, as each renderer
shows it: platform edits apart from file edits (text and Markdown), the JSON fields, and the
line that names the campaigns compared in full."""

from __future__ import annotations

import io
import json

from campsync.sync.plan import Change, FieldDiff, InFull, Plan, Since
from campsync.sync.render import render_json, render_markdown, render_text

AT = "2025-12-05T08:00:00.000Z"


def update(name: str, origin: str, *diffs: FieldDiff) -> Change:
    return Change(
        "update",
        name,
        f"cd-{name.lower()}",
        f"campaigns/{name.lower()}.yaml",
        diffs or (FieldDiff("priority", "5", "1"),),
        body={"name": name},
        updated_at=AT,
        origin=origin,
    )


PLAN = Plan.of(
    [
        update("Files", "files"),
        update("Platform", "platform", FieldDiff("dialingStrategy.maxRingTime", 45, 30)),
        update(
            "Both",
            "both",
            FieldDiff("priority", "5", "1", "files"),
            FieldDiff("description", "edited in the UI", "as in the file", "platform"),
        ),
        update("Unknown", "unknown"),
    ],
    unchanged=3,
)


def rendered(renderer: object, plan: Plan = PLAN) -> str:
    out = io.StringIO()
    renderer(plan, out)  # type: ignore[operator]
    return out.getvalue()


def block_of(text: str, name: str) -> str:
    """The lines of one campaign's change in the text plan."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if f'"{name}"' in line)
    end = next(
        (i for i in range(start + 1, len(lines)) if not lines[i].startswith("    ")), len(lines)
    )
    return "\n".join(lines[start:end])


def test_text_tells_platform_edits_apart() -> None:
    text = rendered(render_text)
    platform = block_of(text, "Platform")
    assert f"changed on the platform at {AT}; apply reverts it" in platform
    both = block_of(text, "Both")
    assert "changed in the files and on the platform at" in both
    assert 'description: "edited in the UI" -> "as in the file"  (edited on the platform)' in both
    assert 'priority: "5" -> "1"\n' in both + "\n"  # the files' own: no mark
    for plain in ("Files", "Unknown"):
        assert "platform" not in block_of(text, plain)


def test_markdown_tells_platform_edits_apart() -> None:
    markdown = rendered(render_markdown)
    row = next(line for line in markdown.splitlines() if "| Platform |" in line)
    assert "1 field; changed on the platform at" in row and "apply reverts it" in row
    assert f"Changed on the platform at {AT}; apply reverts it." in markdown
    assert '- description: "edited in the UI"  (edited on the platform)' in markdown
    files_row = next(line for line in markdown.splitlines() if "| Files |" in line)
    assert "platform" not in files_row


def test_json_carries_origins() -> None:
    document = json.loads(rendered(render_json))
    origins = {change["name"]: change["origin"] for change in document["changes"]}
    assert origins == {
        "Files": "files",
        "Platform": "platform",
        "Both": "both",
        "Unknown": "unknown",
    }
    both = next(change for change in document["changes"] if change["name"] == "Both")
    assert [diff.get("origin") for diff in both["diff"]] == ["files", "platform"]
    files = next(change for change in document["changes"] if change["name"] == "Files")
    assert "origin" not in files["diff"][0]
    assert "since" not in document and "compared_in_full" not in document


SINCE = Since(
    "origin/main",
    (
        InFull("Beta", "campaigns/beta.yaml", "list"),
        InFull("Alpha", "campaigns/alpha.yaml", "file"),
    ),
    on_list=998,
)


def test_the_campaigns_compared_in_full_are_named() -> None:
    plan = Plan.of(unchanged=1000, since=SINCE)
    line = (
        "Compared in full since 'origin/main': 2 of 1,000 campaigns (\"Alpha\": file changed, "
        '"Beta": list entry differs); the others on what the list returns.'
    )
    assert line in rendered(render_text, plan)
    assert "Compared in full since 'origin/main': 2 of 1,000 campaigns" in rendered(
        render_markdown, plan
    )
    document = json.loads(rendered(render_json, plan))
    assert document["since"] == "origin/main"
    assert document["compared_in_full"] == [
        {"name": "Alpha", "file": "campaigns/alpha.yaml", "reason": "file"},
        {"name": "Beta", "file": "campaigns/beta.yaml", "reason": "list"},
    ]


def test_a_long_list_compared_in_full_is_counted_past_ten() -> None:
    many = tuple(InFull(f"C{n:02d}", None, "config") for n in range(25))
    text = rendered(render_text, Plan.of(unchanged=25, since=Since("main", many)))
    assert '"C09": campsync.yaml entry changed, 15 more)' in text
    assert '"C10"' not in text


def test_a_hostile_revision_is_escaped() -> None:
    since = Since("`x` <b>\x1b[31m|", ())
    markdown = rendered(render_markdown, Plan.of(since=since))
    assert "\x1b" not in markdown and "<b>" not in markdown and "\\`x\\`" in markdown
    assert "\x1b" not in rendered(render_text, Plan.of(since=since))
