"""Datasette's CSV exports, made safe to open in a spreadsheet: the ASGI layer
reporting/app.py puts around Datasette rewrites every ``.csv`` answer (canned queries,
tables, rows; streamed with ``_stream=on`` or not, downloaded with ``_dl=1`` or not) cell
by cell with run_report.py's ``spreadsheet_text``: a cell beginning with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a leading ``'`` (OWASP's CSV injection
advice), so a device named ``=HYPERLINK(...)`` stays text. Numbers (``-3``, ``+1.5``) are
left alone. The JSON exports are not changed: they are exact.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, MutableMapping
from typing import Any

from ansible_collections.confvault.network.plugins.plugin_utils.report.run_report import spreadsheet_text

App = Callable[..., Any]


class CsvEscaper:
    """Rewrites CSV text arriving in pieces (Datasette streams it a row or so at a time):
    ``feed`` returns the complete records so far, escaped; ``close`` the rest. Records end
    at a line break outside quotes (Datasette's csv.writer quotes cells holding one)."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""  # the start of an unfinished record
        self._scanned = 0  # how much of it has been looked at
        self._quoted = False  # whether that much ends inside quotes

    @staticmethod
    def _escape(text: str) -> str:
        out = io.StringIO()
        writer = csv.writer(out)  # the dialect Datasette writes: excel, \r\n
        for row in csv.reader(io.StringIO(text, newline="")):
            writer.writerow([spreadsheet_text(cell) for cell in row])
        return out.getvalue()

    def feed(self, data: bytes) -> bytes:
        self._pending += self._decoder.decode(data)
        end = -1
        for i in range(self._scanned, len(self._pending)):
            char = self._pending[i]
            if char == '"':
                self._quoted = not self._quoted
            elif char == "\n" and not self._quoted:
                end = i
        self._scanned = len(self._pending)
        if end < 0:
            return b""
        done, self._pending = self._pending[: end + 1], self._pending[end + 1 :]
        self._scanned = len(self._pending)
        return self._escape(done).encode()

    def close(self) -> bytes:
        rest = self._pending + self._decoder.decode(b"", final=True)
        self._pending = ""
        return self._escape(rest).encode() if rest else b""


def is_csv_request(scope: MutableMapping[str, Any]) -> bool:
    """Datasette's CSV routes: ``/<db>.csv``, ``/<db>/<table or query>.csv``, row ``.csv``."""
    return scope["type"] == "http" and scope.get("path", "").endswith(".csv")


def wrap(app: App) -> App:
    """The ASGI app with its CSV answers escaped (other answers pass untouched)."""

    async def escaped_csv(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if not is_csv_request(scope):
            return await app(scope, receive, send)
        escaper: CsvEscaper | None = None

        async def rewrite(message: MutableMapping[str, Any]) -> None:
            nonlocal escaper
            if message["type"] == "http.response.start":
                headers = message.get("headers") or []
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if message["status"] == 200 and content_type.startswith((b"text/csv", b"text/plain")):
                    escaper = CsvEscaper()
                    headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
                    message = dict(message, headers=headers)
            elif message["type"] == "http.response.body" and escaper is not None:
                body = escaper.feed(message.get("body", b""))
                if not message.get("more_body", False):
                    body += escaper.close()
                message = dict(message, body=body)
            await send(message)

        await app(scope, receive, rewrite)

    return escaped_csv
