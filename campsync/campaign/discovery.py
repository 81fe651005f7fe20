"""Which campaign files a run reads: one walk of the given paths (`find_campaign_files`).

Every *.yaml / *.yml under the given folders (names sorted, hidden names skipped) and the
given files themselves, each once, with the paths an environment's `campaigns:` globs match
them by. Folders that are symbolic links are never entered (a link may lead out of PATH,
or in a loop): the walk names them instead, for a warning, and pruning refuses to run
(their campaigns would look unmanaged). A folder that cannot be listed, or a file that is a
link to outside its folder, stops the run (UnreadablePath): skipping it would make its
campaigns look unmanaged too. Reads no file; no printing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from campsync.errors import UnreadablePath, UsageError
from campsync.text import clip, shorten

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class FoundFile:
    """One campaign file: its path, its name as messages show it (`display_name`), and the
    given folder it was found under (None: it was given itself)."""

    path: Path
    shown: str
    folder: Path | None = None

    @property
    def relative(self) -> tuple[str, ...]:
        """The posix paths an environment's globs match the file by: its path under the given
        folder, or, for a file given by itself, every tail of its path (so that
        `campaigns/common/a.yaml` is in `common/**`)."""
        if self.folder is not None:
            return (self.path.relative_to(self.folder).as_posix(),)
        parts = self.path.as_posix().split("/")
        return tuple("/".join(parts[at:]) for at in range(len(parts)))


@dataclass(frozen=True)
class Found:
    """The walk's outcome: the campaign files (each once, in the walk's order) and the
    folders not entered because they are symbolic links (as shown, sorted)."""

    files: list[FoundFile] = field(default_factory=list)
    linked: list[str] = field(default_factory=list)


def display_name(path: Path, cwd: Path | None = None) -> str:
    """Relative to the working directory when under it, posix separators. (String work,
    as pathlib's absolute() and relative_to() would do it, without their cost per file.)"""
    base = os.path.join(os.getcwd(), cwd) if cwd is not None else os.getcwd()
    text = os.fspath(path)
    absolute = text if os.path.isabs(text) else os.path.join(base, text)
    prefix = base if base.endswith(os.sep) else base + os.sep
    if absolute.startswith(prefix) and len(absolute) > len(prefix):
        return clip(absolute[len(prefix) :].replace(os.sep, "/"))
    return clip(path.as_posix())


def not_followed(folder: str) -> str:
    """The warning for a folder that is a symbolic link (as display_name shows it)."""
    return (
        f"{folder}: a symbolic link to a folder, not followed: the campaign files there are "
        "not read"
    )


def find_campaign_files(paths: Sequence[Path], *, require: bool = False) -> Found:
    """The one walk of `paths`. Raises UsageError for a missing path, and with `require` for
    a given folder that holds no campaign file (a mistyped or empty folder must not pass a
    pipeline as "nothing wrong" or "no changes"); UnreadablePath as the module says."""
    cwd = Path.cwd()
    found: dict[str, FoundFile] = {}
    linked: list[str] = []
    for given in paths:
        if given.is_dir():
            walked = 0
            for path in _walk(given, linked):
                walked += 1
                _add(found, path, cwd, given)
            if require and not walked:
                shown = clip(given.as_posix())
                raise UsageError(f"no campaign files (*.yaml, *.yml) under {shown}")
        elif given.exists() or given.is_symlink():
            _add(found, given, cwd, None)
        else:
            raise UsageError(f"{given.as_posix()}: no such file or directory")
    return Found(list(found.values()), sorted(linked))


def _add(found: dict[str, FoundFile], path: Path, cwd: Path, folder: Path | None) -> None:
    """The file, unless it was found already (by another given path)."""
    key = os.path.normcase(os.path.abspath(path))
    if key not in found:
        found[key] = FoundFile(path, display_name(path, cwd), folder)


def _walk(root: Path, linked: list[str]) -> Iterator[Path]:
    """The campaign files under `root`, top-down (a folder's files, then its subfolders in
    order), names sorted; the folders that are symbolic links join `linked`, not entered. A
    folder that cannot be listed stops the walk (UnreadablePath). A symbolic link to a file
    must resolve inside `root`."""
    inside: str | None = None  # root's real path, made when a link needs it
    pending = [os.fspath(root)]
    while pending:
        subfolders: list[str] = []
        for entry in sorted(_listing(pending.pop()), key=lambda entry: entry.name):
            name = entry.name
            if name.startswith("."):
                continue
            if _is_folder(entry):
                subfolders.append(entry.path)
            elif _is_linked_folder(entry):
                linked.append(_shown(entry.path))
            elif name.endswith(YAML_SUFFIXES):
                if entry.is_symlink():
                    inside = inside or os.path.realpath(root)
                    if not _within(os.path.realpath(entry.path), inside):
                        raise UnreadablePath(
                            f"{_shown(entry.path)}: a symbolic link to a file outside "
                            f"{_shown(os.fspath(root))}; campsync reads only the files under "
                            "the folder it is given (put the file itself there)"
                        )
                yield Path(entry.path)
        pending.extend(reversed(subfolders))


def _listing(folder: str) -> list[os.DirEntry[str]]:
    """The folder's entries; UnreadablePath when it cannot be listed."""
    try:
        with os.scandir(folder) as listing:
            return list(listing)
    except OSError as exc:
        raise UnreadablePath(
            f"{_shown(folder)}: cannot read this folder ({exc.strerror or exc}); "
            "campsync stops rather than go on without its campaign files"
        ) from None


def _is_folder(entry: os.DirEntry[str]) -> bool:
    """A folder itself (not a link to one)."""
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError as exc:
        raise UnreadablePath(
            f"{_shown(entry.path)}: cannot read it ({exc.strerror or exc})"
        ) from None


def _is_linked_folder(entry: os.DirEntry[str]) -> bool:
    """A symbolic link to a folder (a broken link or a loop is none: read, it fails)."""
    return entry.is_symlink() and entry.is_dir()


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _shown(path: str) -> str:
    """A path for a one-line message: as display_name shows it, cut in the middle when it
    is very long (a path beyond PATH_MAX is one of the folders that cannot be read)."""
    return shorten(display_name(Path(path)), 160)
