"""Terminal helpers for the CLI layer: colour choice, progress lines, the confirmation prompt."""

from __future__ import annotations

import os
import sys
from typing import TextIO


def is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed or replaced streams
        return False


def use_color(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    return is_tty(stream) and not os.environ.get("NO_COLOR")


class Progress:
    """A single self-overwriting line on stderr (`reading 12/40 campaigns`), only on a terminal."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._enabled = is_tty(self._stream)
        self._shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self._enabled or total <= 0:
            return
        self._stream.write(f"\rreading {done}/{total} campaigns")
        self._stream.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self._stream.write("\r\033[K")
            self._stream.flush()
            self._shown = False


def confirm(prompt: str) -> bool:
    """Ask on the terminal; only the exact answer 'yes' confirms (as Terraform)."""
    try:
        answer = input(prompt)
    except EOFError:
        return False
    return answer.strip() == "yes"
