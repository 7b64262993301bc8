"""Small inline SVG charts for the steward report, drawn in Python.

The report must open from a file:// URL on a laptop with no network, so nothing is fetched: no charting
library, no web font, no script. Each chart is one ``<svg>`` element written into the page, with a legend
and a ``<title>`` per point (the browser shows the exact figure on hover).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Sequence

#: Colour-blind-safe palette (Okabe & Ito), in the order series are drawn.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
WIDTH, HEIGHT = 440, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 14, 40


@dataclass
class Series:
    name: str
    points: list[tuple[datetime, float | None]]  # (run time, value); None = not measured in that run
    dashed: bool = False
    color: str | None = None


def _e(text: object) -> str:
    return html.escape(str(text))


def _axis(value: float, count: int = 4) -> tuple[float, list[float]]:
    """A round axis maximum at or above ``value`` and its ticks, at a step of 1, 2 or 5 x 10^k, so that
    every tick label is a round number (0, 5, 10, 15 rather than 0, 2.5, 5, 7.5)."""
    if value <= 0:
        return 1.0, [0.0, 1.0]
    raw = value / count
    exp = 10 ** math.floor(math.log10(raw))
    step = next(m * exp for m in (1, 2, 5, 10) if raw <= m * exp)
    if value < count and step < 1:  # small counts: whole numbers only
        step = 1.0
    top = step * math.ceil(value / step)
    return top, [i * step for i in range(int(round(top / step)) + 1)]


def _time_label(t: datetime, span_days: float) -> str:
    if span_days < 1 / 144:  # runs minutes apart (tests, a re-run): the seconds tell them apart
        return t.strftime("%H:%M:%S")
    return t.strftime("%d %b %H:%M") if span_days < 2 else t.strftime("%d %b")


def line_chart(
    chart_id: str,
    title: str,
    series: Sequence[Series],
    *,
    fmt: Callable[[float], str] = lambda v: f"{v:,.0f}",
    unit: str = "",
    y_max: float | None = None,
    limit: tuple[float, str] | None = None,
    empty: str = "No runs recorded yet.",
) -> str:
    """A line chart of values over run times, one line per series; ``limit`` draws a dashed red rule."""
    pts = [(t, v) for s in series for t, v in s.points if v is not None]
    head = (f'<figure class="chart" id="{_e(chart_id)}"><figcaption>{_e(title)}'
            + (f' <span class="unit">{_e(unit)}</span>' if unit else "") + "</figcaption>")
    if not pts:
        return head + f'<p class="muted empty">{_e(empty)}</p></figure>'
    times = sorted({t for t, _ in pts})
    t0, t1 = times[0], times[-1]
    span = max((t1 - t0).total_seconds(), 1.0)
    if y_max is not None:
        top, ticks = y_max, [y_max * i / 4 for i in range(5)]
    else:
        top, ticks = _axis(max([v for _, v in pts] + ([limit[0]] if limit else [])))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(t: datetime) -> float:
        return LEFT + (plot_w / 2 if t0 == t1 else (t - t0).total_seconds() / span * plot_w)

    def y(v: float) -> float:
        return TOP + plot_h - min(max(v, 0.0), top) / top * plot_h

    out = [f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" aria-label="{_e(title)}" '
           f'font-size="11" font-family="system-ui,sans-serif">']
    for tick in ticks:
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
                   f'stroke="#e3e6ec"/><text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" '
                   f'fill="#5b6475">{_e(fmt(tick))}</text>')
    labels = times if len(times) <= 4 else [times[0], times[len(times) // 3], times[2 * len(times) // 3], times[-1]]
    for i, t in enumerate(dict.fromkeys(labels)):
        anchor = "start" if i == 0 and len(labels) > 1 else "end" if t == times[-1] and len(labels) > 1 else "middle"
        out.append(f'<text x="{x(t):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="{anchor}" fill="#5b6475">'
                   f'{_e(_time_label(t, span / 86400))}</text>')
    out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" stroke="#9aa2b1"/>')
    if limit is not None:
        ly = y(limit[0])
        out.append(f'<line class="limit" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ly:.1f}" y2="{ly:.1f}" '
                   f'stroke="#c0392b" stroke-width="2" stroke-dasharray="6 4"><title>{_e(limit[1])}</title></line>'
                   f'<text x="{WIDTH - RIGHT}" y="{ly - 4:.1f}" text-anchor="end" fill="#c0392b">{_e(limit[1])}</text>')
    legend = []
    for i, s in enumerate(series):
        color = s.color or PALETTE[i % len(PALETTE)]
        known = [(t, v) for t, v in s.points if v is not None]
        if not known:
            continue
        dash = ' stroke-dasharray="4 3"' if s.dashed else ""
        if len(known) > 1:
            path = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in known)
            out.append(f'<polyline class="series" data-series="{_e(s.name)}" points="{path}" fill="none" '
                       f'stroke="{color}" stroke-width="2"{dash}/>')
        for t, v in known:
            out.append(f'<circle cx="{x(t):.1f}" cy="{y(v):.1f}" r="3" fill="{color}">'
                       f'<title>{_e(s.name)}: {_e(fmt(v))}{(" " + _e(unit)) if unit else ""} — '
                       f'{t.strftime("%Y-%m-%d %H:%M UTC")}</title></circle>')
        legend.append(f'<span><i style="background:{color}"></i>{_e(s.name)}</span>')
    out.append("</svg>")
    return head + "".join(out) + f'<div class="legend">{"".join(legend)}</div></figure>'


BAR = "#5B6B8C"


def bar_list(chart_id: str, title: str, rows: Sequence[tuple[str, int]], *, unit: str = "records",
             colour: Callable[[str], str | None] = lambda label: None) -> str:
    """Horizontal bars for a handful of labelled counts (e.g. quarantined records per reason)."""
    head = f'<figure class="chart bars" id="{_e(chart_id)}"><figcaption>{_e(title)}</figcaption>'
    if not rows:
        return head + '<p class="muted empty">Nothing to show.</p></figure>'
    top = max(v for _, v in rows) or 1
    row_h = 24
    label_w = min(14 + 7 * max(len(label) for label, _ in rows), WIDTH - 140)  # ~7 px a character at 12 px
    bar_w = WIDTH - label_w - 50
    out = [f'<svg viewBox="0 0 {WIDTH} {row_h * len(rows) + 4}" width="100%" role="img" '
           f'aria-label="{_e(title)}" font-size="12" '
           f'font-family="system-ui,sans-serif">']
    for i, (label, value) in enumerate(rows):
        yy = i * row_h + 2
        w = max(value / top * bar_w, 2)
        out.append(f'<text x="{label_w - 8}" y="{yy + 15}" text-anchor="end" fill="#1d2330">{_e(label)}</text>'
                   f'<rect x="{label_w}" y="{yy + 3}" width="{w:.1f}" height="{row_h - 8}" rx="3" '
                   f'fill="{colour(label) or BAR}"><title>{_e(label)}: {value:,} {_e(unit)}</title></rect>'
                   f'<text x="{label_w + w + 6:.1f}" y="{yy + 15}" fill="#3c4456">{value:,}</text>')
    out.append("</svg>")
    return head + "".join(out) + "</figure>"
