"""`campsync init`: the files of a new campaigns repository, copied from the package.

Every file comes from a package resource (templates/, schemas/), so that what a user's
repository holds matches the campsync that wrote it: the campaign files' and campsync.yaml's
`$schema` references resolve to the schemas beside them, the workflow is the one of
examples/github-actions.yml. Nothing is ever overwritten: a file that exists is kept as it
is, and reported so. No printing here; the command says what was created and kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from campsync.errors import CampsyncError, UsageError
from campsync.fsutil import write_atomic

CAMPAIGNS = "campaigns"
GITIGNORE = ".gitignore"
CACHE_IGNORE = ".campsync/"

# (file in the new repository, package resource it is a copy of), in the order reported.
FILES: tuple[tuple[str, str], ...] = (
    ("campsync.yaml", "templates/campsync.yaml"),
    ("schemas/campaign.schema.json", "schemas/campaign.schema.json"),
    ("schemas/campsync.schema.json", "schemas/campsync.schema.json"),
    (".pre-commit-config.yaml", "templates/pre-commit-config.yaml"),
    (".github/workflows/campaigns.yml", "templates/campaigns.yml"),
    (GITIGNORE, "templates/gitignore"),
)
# An empty folder is not kept by Git.
KEEP = ".gitkeep"


@dataclass(frozen=True)
class Scaffolded:
    path: str  # relative to the repository, posix; a folder ends with "/"
    created: bool  # False: it was there already and is kept as it is


def resource(name: str) -> bytes:
    return resources.files("campsync").joinpath(name).read_bytes()


def scaffold(root: Path) -> list[Scaffolded]:
    """Write the repository's files under `root` (created if missing), keeping every file
    that exists. Raises UsageError when `root` is not a folder, CampsyncError (one line)
    when a file cannot be written."""
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root}: not a folder")
    settings, *others = FILES
    return [_file(root, *settings), _campaigns(root), *(_file(root, *entry) for entry in others)]


def _file(root: Path, relative: str, source: str) -> Scaffolded:
    target = root / relative
    if target.exists() or target.is_symlink():
        return Scaffolded(relative, created=False)
    _write(root, relative, resource(source))
    return Scaffolded(relative, created=True)


def _campaigns(root: Path) -> Scaffolded:
    folder = root / CAMPAIGNS
    if folder.exists() or folder.is_symlink():
        return Scaffolded(f"{CAMPAIGNS}/", created=False)
    _write(root, f"{CAMPAIGNS}/{KEEP}", b"")
    return Scaffolded(f"{CAMPAIGNS}/", created=True)


def ignores_cache(root: Path) -> bool:
    """Whether the repository's .gitignore keeps campsync's cache out of Git."""
    try:
        lines = (root / GITIGNORE).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return False
    return any(line.strip().rstrip("/") in (".campsync", "/.campsync") for line in lines)


def _write(root: Path, relative: str, data: bytes) -> None:
    try:
        write_atomic(root / relative, data)
    except OSError as exc:
        raise CampsyncError(
            f"{(root / relative).as_posix()}: cannot write: {exc.strerror or exc}"
        ) from None
