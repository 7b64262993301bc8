"""Salvage, don't drop: reading vendor event files so that one bad byte costs one event, not the file.

Shared by the SendGrid (JSON array) and Segment (gzipped JSON lines) readers; pure functions on bytes, so a
faster (vectorized) reader can keep using them on its slow path:

* :func:`strip_bom` — a UTF-8 byte-order mark (Windows tools, some S3 uploaders) is not part of the JSON;
* :func:`json_array_items` — the events of a JSON array file, one by one, even when an event holds bytes
  that are not UTF-8 (that event comes back as bytes, to be quarantined with its original bytes) or the
  file is cut short (the complete events before the cut are kept);
* :func:`gunzip_lines` — the complete lines of a gzip stream, even a truncated one.

What cannot be read goes to quarantine with its original bytes (``payload_encoding = 'base64'`` when they
are not UTF-8, :func:`ingestion.quarantine.payload_text`), so it can be replayed once fixed.
"""

from __future__ import annotations

import gzip
import json
import zlib
from dataclasses import dataclass, field
from typing import Any

BOM = b"\xef\xbb\xbf"


def strip_bom(data: bytes) -> bytes:
    """``data`` without a leading UTF-8 byte-order mark."""
    return data[len(BOM):] if data.startswith(BOM) else data


@dataclass
class ArrayItems:
    """What :func:`json_array_items` read from a file."""

    #: (position in the array, the parsed event, or the event's original bytes when it is not valid UTF-8)
    items: list[tuple[int, Any]] = field(default_factory=list)
    #: why the file could not be read to its end (None when it was)
    broken: str | None = None
    #: whether the file is a JSON array at all (if not, nothing was salvaged)
    is_array: bool = True


def _has_surrogates(value: Any) -> bool:
    if isinstance(value, str):
        return any("\udc80" <= ch <= "\udcff" for ch in value)
    if isinstance(value, dict):
        return any(_has_surrogates(k) or _has_surrogates(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogates(v) for v in value)
    return False


def json_array_items(data: bytes) -> ArrayItems:
    """The events of a JSON array file, read one at a time (the slow path, for files orjson refuses).

    Bytes that are not UTF-8 are carried through as lone surrogates (``surrogateescape``): the event holding
    them is returned as its original bytes, the others parsed. A file cut short keeps its complete events.
    """
    text = strip_bom(data).decode("utf-8", errors="surrogateescape")
    decoder = json.JSONDecoder()
    out = ArrayItems()
    pos = _skip_ws(text, 0)
    if not text.startswith("[", pos):
        out.is_array = False
        out.broken = "file is not a JSON array of events"
        return out
    pos = _skip_ws(text, pos + 1)
    index = 0
    if text.startswith("]", pos):
        return out
    while True:
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            out.broken = f"file is not valid JSON after event {index} ({exc.msg} at byte {len(text[:exc.pos].encode('utf-8', 'surrogateescape'))})"
            return out
        if _has_surrogates(value):
            out.items.append((index, text[pos:end].encode("utf-8", "surrogateescape")))
        else:
            out.items.append((index, value))
        index += 1
        pos = _skip_ws(text, end)
        if text.startswith(",", pos):
            pos = _skip_ws(text, pos + 1)
            continue
        if text.startswith("]", pos):
            if _skip_ws(text, pos + 1) != len(text):
                out.broken = "file has data after the end of its JSON array"
            return out
        out.broken = f"file is not valid JSON after event {index} (expected ',' or ']')"
        return out


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def gunzip_lines(data: bytes) -> tuple[list[bytes], str | None]:
    """Complete lines of a gzipped file (BOM removed), and what went wrong if the stream is broken.

    A truncated upload still holds its complete lines: those are returned, the cut-off last line is not
    (it belongs to the broken remainder, which the caller quarantines with the file's original bytes).
    """
    try:
        return strip_bom(gzip.decompress(data)).splitlines(), None
    except (OSError, EOFError, zlib.error) as exc:
        decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            partial = decomp.decompress(data)
        except zlib.error:
            partial = b""
        lines = strip_bom(partial).splitlines()
        if lines and not partial.endswith(b"\n"):
            lines = lines[:-1]
        return lines, f"file is not valid gzip ({exc})"
