"""What the loaders rejected, for the steward report: the ``raw_<source>.quarantine`` tables, counted by
source, table and reason, with a few example payloads whose personal data is masked.

A reason is stored as ``<kind>: <detail>`` (:mod:`ingestion.quarantine`); the report groups by the kind and
says it in plain words. The report is a file people forward, so names, email addresses, phone numbers and
addresses in a payload are masked before they reach the page with :func:`privacy.identifiers.mask_pii`: by field
name for JSON payloads, and by shape (anything that looks like an email address or a phone number) everywhere else.
"""

from __future__ import annotations

from typing import Any

from c360.settings import RAW_DATASETS
from privacy.identifiers import mask_pii, mask_text  # the one masking of personal data (privacy/identifiers.py)
from quality.charts import bar_list
from quality.trends import colour, source_of
from quality.sql import q

REASON_WORDS = {
    "unparseable": "could not be read",
    "wrong_type": "a value of the wrong type",
    "missing_key": "a required field is missing",
    "future_timestamp": "a time in the future",
    "invalid_value": "a value the vendor does not define",
}
EXAMPLES = 6
PAYLOAD_CHARS = 400
def mask_payload(payload: str | None) -> str:
    """The payload with personal data masked, shortened for the page."""
    if payload is None:
        return ""
    masked = mask_pii(payload)
    return masked if len(masked) <= PAYLOAD_CHARS else masked[:PAYLOAD_CHARS] + " …"


def _tables(con) -> list[str]:
    have = {r[0] for r in con.execute(
        "select table_schema from information_schema.tables where table_name = 'quarantine'").fetchall()}
    return [d for d in RAW_DATASETS.values() if d in have]


def _union(con, columns: str) -> str | None:
    parts = [f"select '{d}' as dataset, {columns} from {q(d)}.quarantine" for d in _tables(con)]
    return " union all ".join(parts) or None


def collect(con, nouns: dict[str, str]) -> dict[str, Any]:
    """Counts by source/table/reason kind and a few examples (one per source and reason, newest first)."""
    union = _union(con, "resource, reason, payload, cast(quarantined_at as timestamptz) as quarantined_at")
    if union is None:
        return {"counts": [], "examples": [], "total": 0}
    kind = "trim(split_part(reason, ':', 1))"
    counts = con.execute(f"""
        select dataset, resource, {kind} as kind, count(*) as n, max(quarantined_at) as latest
        from ({union}) group by all order by n desc, dataset, resource, kind""").fetchall()
    examples = con.execute(f"""
        select dataset, resource, {kind} as kind, reason, payload, quarantined_at from ({union})
        qualify row_number() over (partition by dataset, {kind} order by quarantined_at desc) = 1
        order by quarantined_at desc limit {EXAMPLES}""").fetchall()

    def table(dataset: str, resource: str) -> str:
        return nouns.get(f"{dataset}.{resource}") or str(resource).replace("_", " ")

    return {
        "total": sum(r[3] for r in counts),
        "counts": [{"source": source_of(d), "table": table(d, r), "technical": f"{d}.quarantine ({r})",
                    "reason": REASON_WORDS.get(k, k), "reason_code": k, "rows": n, "latest": latest}
                   for d, r, k, n, latest in counts],
        "examples": [{"source": source_of(d), "table": table(d, r), "reason": REASON_WORDS.get(k, k),
                      "detail": mask_text(str(reason).partition(":")[2].strip()), "payload": mask_payload(p),
                      "quarantined_at": at}
                     for d, r, k, reason, p, at in examples],
    }


def section(con, nouns: dict[str, str], esc) -> str:
    """The "Rejected at load" section: totals, a bar per source and reason, the table, masked examples."""
    data = collect(con, nouns)
    head = '<h2 id="quarantine">Rejected at load (quarantine)</h2>'
    if not data["total"]:
        return head + '<p class="muted">No record was quarantined: every record loaded matched its vendor\'s format.</p>'
    by_source: dict[str, int] = {}
    by_reason: dict[str, int] = {}
    for c in data["counts"]:
        by_source[c["source"]] = by_source.get(c["source"], 0) + c["rows"]
        by_reason[c["reason"]] = by_reason.get(c["reason"], 0) + c["rows"]
    rows = "".join(
        f'<tr><td>{esc(c["source"])}</td><td>{esc(c["table"])}</td><td>{esc(c["reason"])}</td>'
        f'<td class="num">{c["rows"]:,}</td><td>{esc(_when(c["latest"]))}</td>'
        f'<td><details class="tech"><summary>technical name</summary><code>{esc(c["technical"])}</code> · reason '
        f'<code>{esc(c["reason_code"])}</code></details></td></tr>' for c in data["counts"])
    examples = "".join(
        f'<tr><td>{esc(x["source"])}</td><td>{esc(x["table"])}</td><td>{esc(x["reason"])}'
        f'<div class="muted">{esc(x["detail"])}</div></td><td><code class="payload">{esc(x["payload"])}</code></td>'
        f'</tr>' for x in data["examples"])
    return (head + f'<p><b>{data["total"]:,}</b> record(s) did not match their vendor\'s format and were kept aside '
            f'instead of being loaded; the rest of each load went on. They stay in the quarantine table of their '
            f'source until someone fixes the sender.</p>'
            f'<div class="charts">{bar_list("chart-quarantine-source", "Quarantined records by source", sorted(by_source.items(), key=lambda kv: -kv[1]), colour=colour)}'
            f'{bar_list("chart-quarantine-reason", "Quarantined records by reason", sorted(by_reason.items(), key=lambda kv: -kv[1]))}</div>'
            f'<table id="quarantine-counts"><thead><tr><th>Source</th><th>Table</th><th>Reason</th><th>Records</th>'
            f'<th>Latest</th><th>Technical</th></tr></thead><tbody>{rows}</tbody></table>'
            f'<h3>Examples <span class="muted">(newest per source and reason; names, emails, phones and addresses '
            f'masked)</span></h3><table id="quarantine-examples"><thead><tr><th>Source</th><th>Table</th>'
            f'<th>Reason</th><th>Record as received</th></tr></thead><tbody>{examples}</tbody></table>')


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if hasattr(value, "strftime") else str(value or "")
