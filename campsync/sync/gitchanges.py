"""What git says changed since a revision (`plan --since REF`): which files of the work tree
are exactly as the revision has them, and a file's text at the revision.

git runs as a program (no shell), with the revision checked first (no option, no control
character) and passed after `--end-of-options`, then only as the commit id it resolves to;
paths are passed as literal pathspecs, and names come back NUL-separated. Nothing here
writes (not even the index's refreshed file times: optional locks are off), and nothing the
repository's own configuration names runs (it may come with a copied or unpacked .git): no
prompt, pager or file system monitor, no filter driver (each one configured is emptied for
`status`, which reads files by content), no submodule's git, no fetch of a missing object
(no transport is allowed). Anything git cannot vouch for counts as changed: a file
git does not track (new, ignored), one flagged assume-unchanged or skip-worktree, a symbolic
link, a file outside the work tree. Errors (no git, not a work tree, an unknown revision)
are one line (GitError).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from campsync.errors import UsageError
from campsync.text import clip, one_line, quoted

GIT_TIMEOUT = 120.0  # seconds, for any one git command
MAX_REF_LENGTH = 512
MAX_TEXT_BYTES = 1_000_000  # a file's text at the revision (campsync.yaml's own bound)
REGULAR_MODES = frozenset({"100644", "100755"})


class GitError(UsageError):
    """git cannot answer `--since`: not installed, not a work tree, an unknown revision."""


@dataclass(frozen=True)
class Then:
    """A file as the revision had it: whether it existed, and its text (None when it existed
    but is no regular file of at most MAX_TEXT_BYTES of UTF-8)."""

    exists: bool
    text: str | None = None


UNKNOWN = Then(exists=True)  # a file whose past git cannot tell: it may have been anything


@dataclass(frozen=True)
class Changes:
    """The work tree against a revision: `ref` as given, `commit` its id, `root` the work
    tree's top folder (real path), `unchanged` the files (posix, relative to `root`) that git
    tracks and finds exactly as the revision has them."""

    ref: str
    commit: str
    root: Path
    unchanged: frozenset[str]
    # Each folder as it really is, resolved once: a plan asks for every campaign file.
    _real: dict[str, str] = field(default_factory=dict, init=False, compare=False, repr=False)

    def relative(self, path: Path | str) -> str | None:
        """`path` relative to the work tree (posix), or None when outside it. The folders are
        taken as they really are, the file's own name as it is (a link stays a link)."""
        absolute = os.path.abspath(path)
        folder, name = os.path.split(absolute)
        real = self._real.get(folder)
        if real is None:
            real = self._real[folder] = os.path.realpath(folder)
        try:
            inside = Path(real, name).relative_to(self.root)
        except ValueError:
            return None
        return inside.as_posix()

    def changed(self, path: Path | str) -> bool:
        """Whether the file at `path` may differ from the revision's (see the module)."""
        relative = self.relative(path)
        return relative is None or relative not in self.unchanged or os.path.islink(path)


def changes_since(ref: str, folder: Path, *, paths: Sequence[Path] = ()) -> Changes:
    """The files under `folder` and the `paths` (all of the work tree `folder` is in, when
    neither is narrower) that are as the revision `ref` has them. GitError when git cannot
    say: no git, `folder` in no work tree, `ref` no commit of it."""
    check_ref(ref)
    start = folder if folder.is_dir() else folder.parent
    top = _out(_git(["rev-parse", "--show-toplevel"], start, _shown(start))).strip()
    root = Path(os.path.realpath(top))
    quiet = _no_filters(root)
    found = _git(
        ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"], root
    )
    if found.returncode != 0:
        raise GitError(
            f"--since: {quoted(ref)} is no commit of the repository at {_shown(root)} (a "
            "shallow clone may lack it: fetch it, e.g. actions/checkout with fetch-depth: 0)"
        )
    commit = _out(found).strip()
    changes = Changes(ref, commit, root, frozenset())
    specs = [spec for spec in (changes.relative(p) for p in (folder, *paths)) if spec is not None]
    if not specs:
        return changes
    tracked = _names(_git(["ls-files", "-z", "-v", "--full-name", "--", *specs], root))
    regular = {name[2:] for name in tracked if name.startswith("H ")}
    # Since the revision: the commits (tree to tree), then the index and the work tree
    # (`status`, which compares contents and, with optional locks off, writes nothing; `git
    # diff REVISION` would refresh the index on disk).
    committed = ["diff-tree", "-r", "--name-only", "-z", "--no-renames", commit, "HEAD"]
    differing = set(_names(_git([*committed, "--", *specs], root)))
    status = ["status", "--porcelain=v1", "-z", "--no-renames", "--untracked-files=no"]
    status.append("--ignore-submodules=all")
    differing.update(
        entry[3:] for entry in _names(_git([*status, "--", *specs], root, config=quiet))
    )
    return Changes(ref, commit, root, frozenset(regular - differing))


def text_then(changes: Changes, path: Path) -> Then:
    """The file at `path` as `changes.commit` had it (UNKNOWN when outside the work tree)."""
    relative = changes.relative(path)
    if relative is None:
        return UNKNOWN
    listing = _git(
        ["ls-tree", "-z", "-l", "--full-tree", changes.commit, "--", relative], changes.root
    )
    entries = _names(listing)
    if not entries:
        return Then(exists=False)
    fields = entries[0].partition("\t")[0].split()
    if len(fields) != 4:
        return UNKNOWN
    mode, kind, blob, length = fields
    if mode not in REGULAR_MODES or kind != "blob" or not length.isdigit():
        return UNKNOWN
    if int(length) > MAX_TEXT_BYTES:
        return UNKNOWN
    content = _git(["cat-file", "blob", blob], changes.root)
    try:
        return Then(exists=True, text=content.stdout.decode("utf-8"))
    except UnicodeDecodeError:
        return UNKNOWN


def check_ref(ref: str) -> None:
    """A revision as a user may give one: not empty, no option, no control character."""
    if not ref or not ref.strip():
        raise GitError("--since needs a git revision (a branch, tag or commit)")
    if ref.startswith("-") or not ref.isprintable() or len(ref) > MAX_REF_LENGTH:
        raise GitError(f"--since: {quoted(ref)} is no git revision")


def _no_filters(root: Path) -> dict[str, str]:
    """Settings that empty every filter driver the configuration of the repository at `root`
    names (`filter.<driver>.clean`, `smudge`, `process`, and `required` off: a file a filter
    would clean is compared as it is, and so counts as changed). Reading the configuration
    runs nothing."""
    listing = ["config", "--null", "--name-only", "--get-regexp", r"^filter\."]
    drivers = {name.rpartition(".")[0] for name in _names(_git(listing, root, quiet_miss=True))}
    return {
        f"{driver}.{key}": "false" if key == "required" else ""
        for driver in sorted(drivers)
        for key in ("clean", "smudge", "process", "required")
    }


def _git(
    args: list[str],
    cwd: Path,
    where: str | None = None,
    *,
    config: dict[str, str] | None = None,
    quiet_miss: bool = False,
) -> subprocess.CompletedProcess[bytes]:
    """Run git in `cwd`, with `config` over any configuration (passed in the environment: a
    name holding `=` stays whole). A failure of a command other than the revision's check
    (or, with `quiet_miss`, git config's exit 1: nothing found) is a GitError naming `where`
    (the folder) and git's own first line."""
    program = shutil.which("git")
    if program is None:
        raise GitError("--since needs git, and git is not on PATH")
    command = [program, "--literal-pathspecs", "-c", "core.fsmonitor=false", *args]
    try:
        done = subprocess.run(
            command,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=GIT_TIMEOUT,
            env=_environment(config or {}),
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise GitError(f"--since: git {args[0]} took more than {GIT_TIMEOUT:.0f} s") from None
    except OSError as exc:
        raise GitError(f"--since: cannot run git ({exc.strerror or exc})") from None
    missed = quiet_miss and done.returncode == 1
    if done.returncode != 0 and args[:2] != ["rev-parse", "--verify"] and not missed:
        said = _first_line(done.stderr)
        if where is not None:
            raise GitError(f"--since: {where} is not in a git work tree ({said})")
        raise GitError(f"--since: git {args[0]} failed ({said})")
    return done


def _environment(config: dict[str, str]) -> dict[str, str]:
    """The caller's environment, without anything that could prompt, page, write or fetch
    (no transport is allowed, whatever the repository's configuration says: a partial clone
    would fetch a missing object through its remote's, which may run a command), and with
    `config` after any settings the caller's environment gives git."""
    environment = {
        **os.environ,
        "GIT_OPTIONAL_LOCKS": "0",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_PAGER": "cat",
        "GIT_ALLOW_PROTOCOL": "none",
        "GIT_NO_LAZY_FETCH": "1",
        "LC_ALL": "C",
    }
    count = environment.get("GIT_CONFIG_COUNT", "0")
    first = int(count) if count.isdigit() else 0
    for index, (key, value) in enumerate(config.items(), start=first):
        environment[f"GIT_CONFIG_KEY_{index}"] = key
        environment[f"GIT_CONFIG_VALUE_{index}"] = value
    if config:
        environment["GIT_CONFIG_COUNT"] = str(first + len(config))
    return environment


def _out(done: subprocess.CompletedProcess[bytes]) -> str:
    return os.fsdecode(done.stdout)


def _names(done: subprocess.CompletedProcess[bytes]) -> list[str]:
    return [os.fsdecode(name) for name in done.stdout.split(b"\0") if name]


def _first_line(stderr: bytes) -> str:
    lines = [one_line(line) for line in os.fsdecode(stderr).splitlines() if line.strip()]
    return clip(lines[0], 200) if lines else "no message"


def _shown(path: Path) -> str:
    return clip(str(path), 160)
