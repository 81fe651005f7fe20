"""campsync.text: the one home of terminal-safe text, and of what a token looks like."""

from __future__ import annotations

import io

from campsync.emulator.auth import encode_hs256
from campsync.terminal import Redacting
from campsync.text import clip, redact, shorten

TOKEN = encode_hs256({"sub": "someone", "iat": 1700000000}, "another-secret-0123456789abcdef")


def test_a_jwt_anywhere_in_a_text_is_redacted() -> None:
    assert redact(f"name {TOKEN} here") == "name [redacted] here"
    assert redact(f'{{"name": "{TOKEN}"}}') == '{"name": "[redacted]"}'  # JSON stays JSON
    assert redact(f"{TOKEN},{TOKEN}") == "[redacted],[redacted]"
    assert redact(TOKEN.rsplit(".", 1)[0]) == "[redacted]"  # without its signature too


def test_given_secrets_are_redacted_and_ordinary_text_is_not() -> None:
    assert redact("the key is hunter2-long", ["hunter2-long", ""]) == "the key is [redacted]"
    for text in ("eyJ", "heyJude", "eyJx.y.z", "cd-0000", "a.b.c", ""):
        assert redact(text) == text


def test_a_cut_never_leaves_part_of_a_token() -> None:
    long = f"Promo {TOKEN} and more words after it"
    for cut in (shorten(long, 30), clip(long, 30), shorten(long, 60)):
        assert TOKEN[:20] not in cut and TOKEN[-12:] not in cut, cut


def test_the_output_stream_redacts_every_write() -> None:
    sink = io.StringIO()
    stream = Redacting(sink)
    assert stream.write(f"a {TOKEN}\n") == len(f"a {TOKEN}\n")
    print("and", TOKEN, file=stream)
    stream.flush()
    assert sink.getvalue() == "a [redacted]\nand [redacted]\n"
    assert stream.isatty() is False
