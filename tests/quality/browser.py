"""Headless Chromium for the report tests: the DOM after layout, and screenshots, with the network blocked.

Offline is enforced, not assumed: every host name resolves to nothing and every request goes to a proxy on
a closed loopback port, so a page that needs a CDN renders exactly as it would on a laptop with no network.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: No DNS, and a proxy on the discard port nobody listens on: any fetch fails at once.
OFFLINE_FLAGS = ['--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost', "--proxy-server=http://127.0.0.1:9",
                 "--proxy-bypass-list=<-loopback>"]


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("headless Chromium is missing: run `make test` (or `bash scripts/install-system-deps.sh`), "
                    "which installs Debian's chromium package")
    return path


def _run(args: list[str], tmp_path: Path, offline: bool) -> str:
    done = subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, *(OFFLINE_FLAGS if offline else []),
         f"--user-data-dir={tmp_path / 'chromium-profile'}", *args],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def render(page: Path, tmp_path: Path, *, offline: bool = True) -> str:
    """The DOM after Chromium loaded and laid out the page (scripts of the page ran)."""
    return _run(["--virtual-time-budget=5000", "--dump-dom", page.resolve().as_uri()], tmp_path, offline)


def screenshot(page: Path, png: Path, tmp_path: Path, *, size: str = "1100,3000", offline: bool = True,
               fragment: str = "") -> Path:
    """A PNG of the page's viewport (``size`` = width,height), scrolled to ``#fragment`` if given."""
    url = page.resolve().as_uri() + (f"#{fragment}" if fragment else "")
    _run(["--hide-scrollbars", "--virtual-time-budget=5000", f"--window-size={size}", f"--screenshot={png}", url],
         tmp_path, offline)
    assert png.is_file(), f"Chromium wrote no screenshot {png}"
    return png


def png_rows(png: Path) -> list[list[tuple[int, int, int]]]:
    """Pixels of an 8-bit RGB(A) PNG as rows of (r, g, b) — enough of PNG to read Chromium's screenshots."""
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), f"unsupported PNG (depth {depth}, colour type {colour})"
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride, rows, prev = zlib.decompress(idat), width * channels, [], bytearray(width * channels)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, up_left = prev[i], prev[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else up_left)) & 255
        rows.append([tuple(line[x * channels:x * channels + 3]) for x in range(width)])
        prev = line
    return rows


def count_colour(rows: list[list[tuple[int, int, int]]], hex_colour: str, tolerance: int = 24) -> int:
    """Pixels within ``tolerance`` (per channel) of a colour such as ``#0072B2``."""
    want = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return sum(1 for row in rows for px in row if all(abs(a - b) <= tolerance for a, b in zip(px, want)))
