"""Targeting patterns (campsync.sync.scope) and the planner's narrowing, without a network:
names case-insensitive with shell wildcards, paths relative to PATH with `**`, exclude wins,
and a campaign an out-of-scope file describes is neither planned nor unmanaged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from campsync.campaign.validation import CampaignFile
from campsync.errors import UsageError
from campsync.sync.planner import match_files, narrow
from campsync.sync.scope import Pattern, Scope, glob_regex, matches_any, name_patterns
from tests.test_planner import listed


def cfile(file: str, name: str, **extra: Any) -> CampaignFile:
    return CampaignFile(file=file, data={"name": name, **extra})


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        ("Spring Renewals", "spring renewals", True),
        ("spring*", "Spring Renewals", True),
        ("*RENEWALS", "Spring Renewals", True),
        ("Spring?Renewals", "Spring Renewals", True),
        ("Spring", "Spring Renewals", False),
        ("Promo [EU]", "Promo [EU]", True),  # the exact name, brackets and all
        ("Promo [EU]", "Promo E", True),  # and as a wildcard class
        ("Legacy/*", "Legacy/2019", True),  # a name's `/` is just a character
        ("ß*", "SS Campaign", True),  # casefolded: ß is ss
        ("straße", "STRASSE", True),  # casefolded on both sides
    ],
)
def test_name_patterns(pattern: str, name: str, expected: bool) -> None:
    assert Pattern.compile(pattern).matches_name(name) is expected


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("spring.yaml", "spring.yaml", True),
        ("spring.yaml", "sub/spring.yaml", False),  # relative to PATH, not any level
        ("*.yaml", "spring.yaml", True),
        ("*.yaml", "sub/spring.yaml", False),  # `*` stays in one level
        ("**/*.yaml", "spring.yaml", True),  # `**` is any number of levels, none included
        ("**/*.yaml", "a/b/spring.yaml", True),
        ("sub/**", "sub/spring.yaml", True),
        ("sub/**", "sub/deep/er/spring.yaml", True),
        ("sub/**", "subway/spring.yaml", False),
        ("a/**/z.yaml", "a/z.yaml", True),
        ("a/**/z.yaml", "a/b/c/z.yaml", True),
        ("a/**/z.yaml", "ab/z.yaml", False),
        ("./sub//x.yaml", "sub/x.yaml", True),
        ("s?b/x.yaml", "sub/x.yaml", True),
        ("s?b/x.yaml", "s/b/x.yaml", False),
        ("[st]ub/x.yaml", "sub/x.yaml", True),
        ("[!s]ub/x.yaml", "sub/x.yaml", False),
        ("[!s]ub/x.yaml", "pub/x.yaml", True),
        ("[]]x", "]x", True),
        ("[x", "[x", True),  # an unclosed bracket is itself
        ("Sub/x.yaml", "sub/x.yaml", False),  # paths keep their case
        ("a.b", "axb", False),  # a dot is a dot
    ],
)
def test_path_patterns(pattern: str, path: str, expected: bool) -> None:
    assert (glob_regex(pattern).fullmatch(path) is not None) is expected


def test_file_paths_are_relative_to_path_or_as_shown() -> None:
    scope = Scope.build(["sub/*.yaml"], [], Path("campaigns"))
    assert scope.paths_of("campaigns/sub/x.yaml") == ("sub/x.yaml", "campaigns/sub/x.yaml")
    assert scope.includes_file(cfile("campaigns/sub/x.yaml", "X"))
    assert not scope.includes_file(cfile("campaigns/x.yaml", "X"))
    shown = Scope.build(["campaigns/sub/*.yaml"], [], Path("campaigns"))  # tab completion
    assert shown.includes_file(cfile("campaigns/sub/x.yaml", "X"))
    single = Scope.build(["x.yaml"], [], Path("campaigns/sub/x.yaml"))  # PATH is the file
    assert single.includes_file(cfile("campaigns/sub/x.yaml", "X"))
    here = Scope.build(["sub/**"], [], Path("."))
    assert here.includes_file(cfile("sub/x.yaml", "X"))


def test_a_pattern_matches_the_name_or_the_path_and_exclude_wins() -> None:
    scope = Scope.build(["spring*", "sub/**"], ["*legacy*", "**/old-*"], Path("campaigns"))
    assert scope.includes_file(cfile("campaigns/a.yaml", "Spring Renewals"))
    assert scope.includes_file(cfile("campaigns/sub/b.yaml", "Other"))
    assert not scope.includes_file(cfile("campaigns/c.yaml", "Other"))
    assert not scope.includes_file(cfile("campaigns/sub/old-b.yaml", "Other"))  # by path
    assert scope.includes_file(cfile("campaigns/sub/legacy.yaml", "Other"))  # `*`: one level
    assert not scope.includes_file(cfile("campaigns/a.yaml", "Spring Legacy"))  # by name
    assert scope.includes_name("SPRING 2026")
    assert not scope.includes_name("Sub thing")  # no file: a path pattern cannot match it
    assert not scope.includes_name("Spring legacy")


def test_no_pattern_is_everything_and_exclude_alone_narrows() -> None:
    assert Scope().everything and Scope().includes_name("anything")
    scope = Scope.build([], ["Old*"], Path("campaigns"))
    assert not scope.everything
    assert scope.includes_name("New") and not scope.includes_name("old one")


def test_excluding_by_the_platform_name_protects_a_campaign_being_renamed() -> None:
    scope = Scope.build([], ["Old Name"], Path("campaigns"))
    renamed = cfile("campaigns/a.yaml", "New Name", id="cd-1")
    assert scope.includes_file(renamed)
    assert not scope.includes_file(renamed, "Old Name")


@pytest.mark.parametrize("flag", ["only", "exclude"])
def test_an_empty_pattern_is_a_usage_error(flag: str) -> None:
    patterns = {"only": [], "exclude": [], flag: ["  "]}
    with pytest.raises(UsageError, match=f"--{flag} needs"):
        Scope.build(patterns["only"], patterns["exclude"], Path("campaigns"))


def test_patterns_that_match_nothing_are_named() -> None:
    scope = Scope.build(["Sprng*", "spring*"], ["legacy/**", "Gone"], Path("campaigns"))
    files = [cfile("campaigns/spring.yaml", "Spring"), cfile("campaigns/legacy/x.yaml", "X")]
    assert scope.unmatched(files, ["Other"]) == [
        "--only 'Sprng*' matches no campaign file and no platform campaign",
        "--exclude 'Gone' matches no campaign file and no platform campaign",
    ]


def test_keep_patterns() -> None:
    patterns = name_patterns(["Legacy *", "VIP"])
    assert matches_any(patterns, "legacy promo") and matches_any(patterns, "vip")
    assert not matches_any(patterns, "VIP Gold") and not matches_any((), "x")


def test_narrow_matches_every_file_first_then_filters() -> None:
    platform = [
        listed("cd-1", "Spring"),
        listed("cd-2", "Summer"),
        listed("cd-3", "Legacy A"),
        listed("cd-4", "Spring Old"),
    ]
    files = [
        cfile("campaigns/spring.yaml", "Spring"),
        cfile("campaigns/summer.yaml", "Summer"),
        cfile("campaigns/new.yaml", "Spring New"),
        cfile("campaigns/gone.yaml", "Spring Gone", id="cd-404"),
    ]
    matching = match_files(files, platform)
    narrowed = narrow(matching, Scope.build(["Spring*"], [], Path("campaigns")))
    assert [(cf.file, e.id) for cf, e in narrowed.matched] == [("campaigns/spring.yaml", "cd-1")]
    assert [cf.file for cf in narrowed.to_create] == ["campaigns/new.yaml"]
    assert [cf.file for cf in narrowed.unknown_id] == ["campaigns/gone.yaml"]
    # "Summer" is described by an out-of-scope file: out of scope, not unmanaged.
    assert [e.id for e in narrowed.unmanaged] == ["cd-4"]
    assert narrow(matching, Scope()) is matching
