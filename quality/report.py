"""The steward's front page: one static HTML page per run, in plain words, with failing examples.

``<quality_dir>/runs/<run_id>.html`` for every run and ``<quality_dir>/index.html`` showing the latest run,
charts of the trends over runs (:mod:`quality.trends`), what the loaders quarantined
(:mod:`quality.quarantined`) and the list of earlier runs. No JavaScript, no external assets: charts are
inline SVG, so the page works offline and from a file:// URL. Tables and checks are named in plain words
(the ``noun`` of ``expectations.yml``); the technical name is one click away in a ``<details>``, and each
failure links into the Great Expectations Data Docs.
"""

from __future__ import annotations

import html
import os
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from quality.model import ExpectationOutcome, PublicationResult
from quality.wording import age

LAYER_TITLES = {
    "raw": ("Raw data", "the records as loaded from the sales, support, email and web systems"),
    "identity": ("Identity resolution", "how source records were matched into customers"),
    "marts": ("Marts", "the tables downstream tools read"),
}
SHARE_KINDS = {"pattern_share", "singleton_share", "id_changes", "reconcile"}
#: What the page counts, and why `c360 run` reports more checks: its summary counts every Dagster asset check,
#: the dbt tests of the models included (quality/README.md: one home per kind of check).
SCOPE = ('<p class="muted" id="scope">Counted here: the data quality checks of the raw, identity and marts '
         'layers (<code>quality/expectations.yml</code>). The row-level tests of the dbt models run in '
         '<code>dbt build</code> before them and are not listed here: a failing one stops the build, so nothing '
         'is published. The summary of <code>c360 run</code> counts both, so it reports more checks than this '
         'page.</p>')

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f5f6f8;color:#1d2330;line-height:1.45}
main{max-width:980px;margin:0 auto;padding:24px}
h1{font-size:1.6rem;margin:.2rem 0}
h2{font-size:1.25rem;margin:2rem 0 .4rem}
h3{font-size:1.05rem;margin:0 0 .4rem}
.sub{color:#5b6475;margin:0 0 1rem}
.status{border-radius:8px;padding:16px 20px;margin:16px 0;font-size:1.1rem}
.status.bad{background:#fde8e8;border:1px solid #e0a0a0}
.status.warn{background:#fff5e0;border:1px solid #e8c77a}
.status.good{background:#e6f6ea;border:1px solid #8fca9f}
.card{background:#fff;border:1px solid #d9dde5;border-left:6px solid #888;border-radius:6px;padding:14px 18px;margin:12px 0}
.card.critical{border-left-color:#c0392b}
.card.warning{border-left-color:#d68910}
.badge{display:inline-block;font-size:.75rem;font-weight:600;padding:2px 8px;border-radius:10px;margin-right:6px;vertical-align:middle}
.badge.critical{background:#c0392b;color:#fff}
.badge.warning{background:#d68910;color:#fff}
.facts{color:#3c4456;font-size:.92rem;margin:.3rem 0}
.facts span{margin-right:18px}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0;background:#fff}
th,td{border:1px solid #d9dde5;padding:4px 8px;text-align:left;vertical-align:top;max-width:320px;overflow-wrap:anywhere}
th{background:#eef0f4}
a{color:#1f5fbf}
details{margin:1rem 0}
summary{cursor:pointer;font-weight:600}
.muted{color:#6b7385}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:14px;margin:.6rem 0}
.chart{background:#fff;border:1px solid #d9dde5;border-radius:6px;margin:0;padding:10px 12px 8px}
.chart figcaption{font-weight:600;font-size:.92rem;margin-bottom:4px}
.chart .unit{font-weight:400;color:#6b7385;font-size:.8rem}
.chart svg{display:block}
.legend{font-size:.78rem;color:#3c4456;display:flex;flex-wrap:wrap;gap:4px 14px}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px}
td details,.facts details{margin:0 0 0 6px;display:inline-block;vertical-align:top}
td details summary,.facts details summary{font-weight:400;color:#1f5fbf;font-size:.78rem}
td details[open],.facts details[open]{display:block;margin:2px 0}
td.num{text-align:right}
code.payload{font-size:.78rem;white-space:pre-wrap;overflow-wrap:anywhere}
"""


def _nouns() -> dict[str, str]:
    """Table -> its plain name (the `noun` of expectations.yml): `raw_sales.customers` -> `sales customers`."""
    from quality.config import load_config

    return {c.table: c.noun for c in load_config().checks}


def plain_table(table: str | None, nouns: dict[str, str]) -> str:
    """The table's plain name with the technical one behind a click."""
    return (f'{_e(nouns.get(table or "", table))} <details class="tech"><summary>technical name</summary><code>{_e(table)}</code>'
            f'</details>')


def safe_name(run_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", run_id)


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def format_observed(o: ExpectationOutcome) -> str:
    v = o.observed_value
    if v is None:
        return "could not be measured"
    if o.kind in SHARE_KINDS:
        return f"{v * 100:.2f}%"
    if o.kind == "freshness":
        return f"{age(v)} old"
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.3f}"


def _examples_table(examples: list[dict[str, Any]]) -> str:
    if not examples:
        return ""
    columns = list(dict.fromkeys(k for row in examples for k in row))
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_e(row.get(c))}</td>" for c in columns) + "</tr>" for row in examples)
    return f'<table class="examples"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _failure_card(o: ExpectationOutcome, prefix: str, nouns: dict[str, str]) -> str:
    label = "Critical — blocks publication" if o.severity == "critical" else "Warning"
    facts = [f"<span>Where: <b>{plain_table(o.table, nouns)}</b></span>",
             f"<span>Measured: {_e(format_observed(o))}</span>",
             f"<span>Limit: {_e(o.threshold)}</span>"]
    if o.unexpected_count is not None:
        of = f" of {o.element_count:,}" if o.element_count is not None else ""
        facts.insert(1, f"<span>Rows affected: <b>{o.unexpected_count:,}</b>{of}</span>")
    examples = ""
    if o.examples:
        examples = f"<div class=\"muted\">Examples ({len(o.examples)} shown):</div>{_examples_table(o.examples)}"
    docs = (f'<a href="{_e(prefix + o.docs_path)}">Technical details in Data Docs</a>' if o.docs_path else "")
    return (f'<div class="card {o.severity}" data-expectation="{_e(o.suite)}/{_e(o.expectation)}">'
            f'<h3><span class="badge {o.severity}">{label}</span>{_e(o.description)}</h3>'
            f'<div class="facts">{"".join(facts)}</div>'
            f'<div class="facts muted">Rule: {_e(o.rule)} <details class="tech"><summary>technical name</summary>'
            f'<code>{_e(o.suite)} / {_e(o.expectation)}</code></details></div>'
            f"{examples}{docs}</div>")


def _status(outcomes: list[ExpectationOutcome], publication: PublicationResult | None) -> str:
    critical = [o for o in outcomes if o.is_blocking]
    warnings = [o for o in outcomes if not o.success and o.severity == "warning"]
    if publication is not None and publication.published:
        pub = "The marts were published for downstream tools."
    elif critical:
        pub = "The marts were <b>not published</b>: downstream tools keep reading the last good publication."
    elif publication is not None:
        pub = f"The marts were not published: {_e(publication.reason)}"
    else:
        pub = "Nothing blocks publication of the marts."
    if critical:
        css, head = "bad", f"{len(critical)} critical problem(s) found"
    elif warnings:
        css, head = "warn", f"No critical problems; {len(warnings)} warning(s) to look at"
    else:
        css, head = "good", f"All {len(outcomes)} checks passed"
    return (f'<div class="status {css}" id="status"><b>{head}</b> out of {len(outcomes)} checks. {pub}'
            + (f" {len(warnings)} warning(s) do not block publication." if critical and warnings else "")
            + "</div>" + SCOPE)


def _run_body(run_id: str, outcomes: list[ExpectationOutcome], publication: PublicationResult | None,
              prefix: str, extra: str = "") -> str:
    nouns = _nouns()
    checked = max((o.checked_at for o in outcomes if o.checked_at), default=None)
    when = checked.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if checked else "unknown time"
    parts = [f"<h1>Data quality report</h1>",
             f'<p class="sub">Run <code>{_e(run_id)}</code>, checked {when}. '
             f'<a href="{_e(prefix)}data_docs/index.html">All Data Docs</a></p>',
             _status(outcomes, publication), extra]
    failed = [o for o in outcomes if not o.success]
    if failed:
        parts.append('<h2 id="failures">What failed</h2>')
        for layer in ("raw", "identity", "marts"):
            in_layer = sorted((o for o in failed if o.layer == layer),
                              key=lambda o: (o.severity != "critical", o.suite, o.expectation))
            if not in_layer:
                continue
            title, about = LAYER_TITLES[layer]
            parts.append(f"<h3>{title} <span class=\"muted\">— {about}</span></h3>")
            parts.extend(_failure_card(o, prefix, nouns) for o in in_layer)
    passed = [o for o in outcomes if o.success]
    if passed:
        rows = "".join(f"<tr><td>{_e(LAYER_TITLES.get(o.layer, (o.layer,))[0])}</td>"
                       f"<td>{plain_table(o.table, nouns)}</td><td>{_e(o.rule)}</td>"
                       f"<td>{_e(format_observed(o))}</td><td>{_e(o.severity)}</td>"
                       f"<td><details class=\"tech\"><summary>technical name</summary><code>{_e(o.suite)} / {_e(o.expectation)}</code>"
                       f"</details></td></tr>" for o in passed)
        parts.append(f"<details id=\"passed\"><summary>What passed ({len(passed)} checks)</summary>"
                     f"<table><thead><tr><th>Layer</th><th>Table</th><th>Rule</th><th>Measured</th><th>Severity</th>"
                     f"<th>Check</th></tr></thead><tbody>{rows}</tbody></table></details>")
    return "\n".join(parts)


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(title)}</title><style>{CSS}</style></head><body><main>{body}</main></body></html>\n")


def _runs_table(runs: Iterable[dict[str, Any]], prefix: str) -> str:
    rows = []
    for r in runs:
        checked = r.get("checked_at")
        when = checked.strftime("%Y-%m-%d %H:%M UTC") if isinstance(checked, datetime) else _e(checked)
        verdict = (f"{r['critical_failures']} critical" if r.get("critical_failures") else
                   f"{r['failed']} warning(s)" if r.get("failed") else "all passed")
        total = r.get("expectations") or 0
        passed = f"{total - (r.get('failed') or 0):,} of {total:,}" if total else ""
        rows.append(f'<tr><td><a href="{_e(prefix)}runs/{_e(safe_name(r["run_id"]))}.html">{when}</a></td>'
                    f"<td>{verdict}</td><td class=\"num\">{passed}</td><td>{_e(r.get('layers'))}</td>"
                    f"<td><details class=\"tech\"><summary>run id</summary><code>{_e(r['run_id'])}</code></details></td></tr>")
    if not rows:
        return ""
    return ('<h2 id="runs">All runs</h2><table><thead><tr><th>Checked</th><th>Result</th><th>Checks passed</th>'
            f"<th>Layers</th><th>Run</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _warehouse_sections(warehouse: Path) -> tuple[str, str]:
    """The trend charts, and the quarantine and review-queue sections, read from the warehouse (read-only, briefly)."""
    from quality import quarantined, review_section, trends
    from quality.suites import connect_read_only

    if not warehouse.exists():
        return "", ""
    con = connect_read_only(warehouse)
    try:
        return trends.section(con), quarantined.section(con, _nouns(), _e) + review_section.section(con, _e)
    finally:
        con.close()


def _write(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a steward never opens a half-written page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_report(
    run_id: str,
    *,
    warehouse: Path | None = None,
    quality_dir: Path | None = None,
    outcomes: list[ExpectationOutcome] | None = None,
    publication: PublicationResult | None = None,
    runs: list[dict[str, Any]] | None = None,
) -> Path:
    """Write the run's front page and refresh index.html; returns the run page's path.

    ``outcomes`` default to the run's rows of quality.validation_results in ``warehouse`` (so a report covers
    every layer validated under the run id, whoever ran them); ``runs`` (for the history list) default to
    the warehouse's recent runs.
    """
    from c360 import settings
    from quality.results import list_runs, load_results

    warehouse = Path(warehouse or settings.warehouse_path())
    quality_dir = Path(quality_dir or settings.quality_dir())
    if outcomes is None:
        outcomes = load_results(warehouse, run_id)
    if runs is None:
        runs = list_runs(warehouse) if warehouse.exists() else []
    run_page = quality_dir / "runs" / f"{safe_name(run_id)}.html"
    _write(run_page, _page(f"c360 data quality — run {run_id}",
                           _run_body(run_id, outcomes, publication, "../")
                           + '<p><a href="../index.html">Latest run and all runs</a></p>'))
    latest = runs[0]["run_id"] if runs else run_id
    trends, rejected = _warehouse_sections(warehouse)
    if latest == run_id:
        index_body = _run_body(run_id, outcomes, publication, "", trends)
    else:  # a report for an older run: the index keeps showing the newest one
        index_body = _run_body(latest, load_results(warehouse, latest), None, "", trends)
    index_body += rejected
    _write(quality_dir / "index.html", _page("c360 data quality — latest run",
                                             index_body + _runs_table(runs, "")))
    return run_page
