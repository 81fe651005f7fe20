"""The YAML language server (what VS Code's YAML extension runs), driven over LSP stdio:
what an editor with the campaign schema says of a text.

`make test` installs the pinned version into .tools/ (see the Makefile); the server is
started once and given every text to check, each under a made-up file URI in a folder
next to schemas/, so that a file's own `# yaml-language-server: $schema=../schemas/...`
line finds the schema too (the settings map the schema to every file besides)."""

from __future__ import annotations

import codecs
import json
import queue
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / ".tools"
SERVER = TOOLS / "node_modules" / ".bin" / "yaml-language-server"
INSTALLED = TOOLS / "node_modules" / "yaml-language-server" / "package.json"
DOCUMENTS = ROOT / "campaigns"  # never written: the URIs only need `../schemas/` to resolve
ANSWER_S = 60.0  # the server answers a few hundred files in about a second
ERROR = 1  # LSP DiagnosticSeverity.Error


def pinned_version() -> str:
    """The version the Makefile installs (one place for the pin)."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    found = re.search(r"^YAML_LANGUAGE_SERVER_VERSION := (\S+)$", makefile, re.MULTILINE)
    assert found, "the Makefile pins YAML_LANGUAGE_SERVER_VERSION"
    return found.group(1)


def missing() -> str | None:
    """Why the pinned server cannot run here, or None when it can."""
    version = pinned_version()
    if shutil.which("node") is None:
        return "node is not on PATH: the YAML language server needs it (node 20 or later)"
    if not INSTALLED.is_file():
        return f"yaml-language-server is not installed in {TOOLS}: run `make test` once"
    installed = json.loads(INSTALLED.read_text(encoding="utf-8")).get("version")
    if installed != version:
        return f"{TOOLS} holds yaml-language-server {installed}, not {version}: run `make test`"
    return None


def editor_text(raw: bytes) -> str:
    """A file's bytes as an editor opens them: by their byte order mark, else as UTF-8 with
    U+FFFD for each bad byte."""
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if raw.startswith(bom):
            return raw[len(bom) :].decode(codec, errors="replace")
    return raw.decode("utf-8", errors="replace")


class LanguageServer:
    """One running yaml-language-server with the campaign schema mapped to every file."""

    def __init__(self, schema: Path) -> None:
        self._settings = {
            "validate": True,
            "completion": True,
            "schemas": {schema.as_uri(): ["*"]},
            "schemaStore": {"enable": False},
        }
        self._process = subprocess.Popen(
            [str(SERVER), "--stdio"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self._process.stdin is not None and self._process.stdout is not None
        self._stdin: IO[bytes] = self._process.stdin
        self._messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        # A thread reads while the texts are sent: the server writes diagnostics meanwhile,
        # and a full pipe would stop both.
        self._reader = threading.Thread(target=self._read, args=(self._process.stdout,))
        self._reader.start()
        self._last_id = 0
        self._opened = 0
        self.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
        self._notify("initialized", {})
        self._notify("workspace/didChangeConfiguration", {"settings": {"yaml": self._settings}})
        # The server pulls its settings (workspace/configuration) and applies them before it
        # validates, not before it completes: a first text's diagnostics say they are in.
        self.diagnostics(["{}\n"])

    # --- what the tests ask --------------------------------------------------------------

    def diagnostics(self, texts: list[str]) -> list[list[dict[str, Any]]]:
        """The diagnostics the server publishes for each text, in order."""
        uris = [self._open(text, ".yaml") for text in texts]
        wanted = set(uris)
        found: dict[str, list[dict[str, Any]]] = {}
        while len(found) < len(uris):
            message = self._next()
            if message.get("method") == "textDocument/publishDiagnostics":
                params = message["params"]
                if params["uri"] in wanted:  # (an earlier text's may come late)
                    found[params["uri"]] = params["diagnostics"]
        return [found[uri] for uri in uris]

    def errors(self, texts: list[str]) -> list[list[str]]:
        """The error messages (not warnings) for each text: none means the editor passes it."""
        return [
            [item["message"] for item in items if item.get("severity") == ERROR]
            for items in self.diagnostics(texts)
        ]

    def completions(self, text: str, line: int, character: int) -> list[dict[str, Any]]:
        """The completion items offered at (line, character), 0-based, of a new file."""
        uri = self._open(text, ".yaml")
        answer = self.request(
            "textDocument/completion",
            {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}},
        )
        items: list[dict[str, Any]] = answer["items"] if isinstance(answer, dict) else answer
        return items

    def close(self) -> None:
        try:
            self.request("shutdown", None)
            self._notify("exit", None)
            self._process.wait(timeout=10)
        finally:
            if self._process.poll() is None:
                self._process.kill()
                self._process.wait()
            self._stdin.close()
            self._reader.join(timeout=10)
            assert self._process.stdout is not None
            self._process.stdout.close()

    # --- the protocol ----------------------------------------------------------------------

    def request(self, method: str, params: Any) -> Any:
        self._last_id += 1
        sent = self._last_id
        self._send({"jsonrpc": "2.0", "id": sent, "method": method, "params": params})
        while True:
            message = self._next()
            if message.get("id") == sent and "method" not in message:
                assert "error" not in message, message["error"]
                return message.get("result")

    def _open(self, text: str, suffix: str) -> str:
        self._opened += 1
        uri = (DOCUMENTS / f"editor-check-{self._opened}{suffix}").as_uri()
        document = {"uri": uri, "languageId": "yaml", "version": 1, "text": text}
        self._notify("textDocument/didOpen", {"textDocument": document})
        return uri

    def _notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode("utf-8")
        self._stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self._stdin.flush()

    def _next(self) -> dict[str, Any]:
        """The next message for the client; the server's own requests are answered here
        (its settings come from `workspace/configuration`)."""
        while True:
            try:
                message = self._messages.get(timeout=ANSWER_S)
            except queue.Empty:
                raise AssertionError(
                    f"yaml-language-server said nothing for {ANSWER_S} s"
                ) from None
            if message is None:
                raise AssertionError("yaml-language-server ended unexpectedly")
            if "method" in message and "id" in message:
                result: Any = None
                if message["method"] == "workspace/configuration":
                    sections = [item.get("section") for item in message["params"]["items"]]
                    result = [self._settings if s == "yaml" else {} for s in sections]
                self._send({"jsonrpc": "2.0", "id": message["id"], "result": result})
                continue
            return message

    def _read(self, stream: IO[bytes]) -> None:
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    self._messages.put(None)
                    return
                if not line.strip():
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            assert length is not None
            self._messages.put(json.loads(stream.read(length)))


@contextmanager
def running(schema: Path) -> Iterator[LanguageServer]:
    server = LanguageServer(schema)
    try:
        yield server
    finally:
        server.close()
