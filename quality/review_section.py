"""Uncertain matches for the steward report: the head of ``marts.identity_review_queue``.

The page shows how many pairs wait and the most likely ones with the model's evidence; names and identifiers are
masked like every example on the page (it is a file people forward). The full records, side by side, are in the
CSV that `c360 identity review` writes; `c360 identity decide` records the decision for the next run.
"""

from __future__ import annotations

from typing import Any, Callable

from privacy.identifiers import mask_text

SHOWN = 10


def section(con: Any, e: Callable[[Any], str]) -> str:
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'marts' "
        "and table_name = 'identity_review_queue'").fetchone()[0]
    if not exists:
        return ""
    total = con.execute("select count(*) from marts.identity_review_queue").fetchone()[0]
    head = ('<h2 id="review">Matches to review</h2><p>'
            + (f"{total:,} pairs of records might be the same person but are not certain enough to join on their own. "
               if total else "No uncertain matches are waiting. ")
            + "Decide with <code>c360 identity decide SOURCE:ID SOURCE:ID --same|--different --by NAME</code>; the "
            "next run applies it. All pairs with both records side by side: <code>c360 identity review</code> "
            "(writes <code>identity_review_queue.csv</code> next to this page).</p>")
    if not total:
        return head
    rows = con.execute(
        "select node_key_a, node_key_b, match_probability, evidence from marts.identity_review_queue "
        f"order by match_probability desc limit {SHOWN}").fetchall()
    body = "".join(
        f"<tr><td><code>{e(mask_text(a))}</code></td><td><code>{e(mask_text(b))}</code></td>"
        f"<td>{p:.0%}</td><td>{e(evidence or '')}</td></tr>"
        for a, b, p, evidence in rows)
    return (head + "<table><thead><tr><th>Record</th><th>Record</th><th>Same person?</th><th>Evidence</th></tr>"
            f"</thead><tbody>{body}</tbody></table>")
