"""The steward page for people who would rather look than read: trend charts over runs and what the loaders
quarantined, drawn as inline SVG and checked in headless Chromium with the network blocked."""

from __future__ import annotations

import json
import re

import duckdb
import pytest

from browser import chromium, count_colour, png_rows, render, screenshot
from quality import run_quality
from quality.charts import BAR, PALETTE
from quality.quarantined import mask_payload, mask_text
from quality.trends import collect
from quality_factory import execute

PII = {"email": "maria.lopez@example.org", "phone": "+1 415 555 0142", "first_name": "Maria",
       "last_name": "Lopez", "address": {"street": "12 Harbour Road", "city": "Portsmouth"}}


def _quarantine(warehouse, reason: str, payload: dict | str, resource: str = "customers") -> None:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    execute(warehouse, f"""insert into raw_sales.quarantine values ('sales', '{resource}', 'sales.{resource}',
                           '{reason}', '{text.replace("'", "''")}', now())""")


def _text(dom: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dom))


def test_payload_masking_hides_personal_data_in_json_and_in_text():
    masked = mask_payload(json.dumps({"id": 7, "traits": PII, "note": "call +44 20 7946 0958 or a.b@c.io"}))
    for secret in ("maria", "lopez", "example.org", "415 555", "Harbour", "Portsmouth", "7946", "a.b@c.io"):
        assert secret.lower() not in masked.lower(), (secret, masked)
    parsed = json.loads(masked)
    assert parsed["id"] == 7, "values that are not personal stay readable"
    assert parsed["traits"]["email"] == "m***@***.org" and parsed["traits"]["phone"].endswith("42")
    # Unparseable payloads (the reason they were quarantined) are masked by shape; dates are no phone numbers.
    assert mask_text("<xml>to bob@example.com at 2031-01-01 tel 0301234567</xml>") == \
        "<xml>to b***@***.com at 2031-01-01 tel ***67</xml>"
    assert mask_payload(None) == "" and len(mask_payload("x" * 5000)) < 500


def test_trends_come_from_the_stored_results(site):
    _quarantine(site.warehouse, "missing_key: id", PII)
    for run_id in ("trend-1", "trend-2"):
        run_quality(site.warehouse, run_id, quality_dir=site.quality_dir, publish_marts=False)
        execute(site.warehouse, "insert into raw_sales.customers select id + 100000, first_name, last_name, email, "
                                "phone, created_at, updated_at, _dlt_load_id, _dlt_id from raw_sales.customers "
                                "where id <= 50")
    con = duckdb.connect(str(site.warehouse), read_only=True)
    try:
        data = collect(con)
        measured = dict(con.execute("""select run_id, sum(element_count) from quality.validation_results
                                       where suite = 'raw_sales' and kind = 'unique' group by run_id""").fetchall())
    finally:
        con.close()
    assert list(data["times"]) == ["trend-1", "trend-2"], "oldest run first"
    rows = {s.name: [v for _, v in s.points] for s in data["rows"]}
    assert rows["Sales"] == [measured["trend-1"], measured["trend-2"]]
    assert rows["Sales"][1] - rows["Sales"][0] == 50, "the 50 customers loaded between the runs"
    quarantined = {s.name: [v for _, v in s.points] for s in data["quarantined"]}
    assert quarantined["Sales"] == [2, 2], "the factory's quarantined record plus ours, in both runs"
    assert {s.name for s in data["freshness"]} == {"Sales", "Support", "Email", "Web"}
    assert all(v < 3 for s in data["freshness"] for _, v in s.points), "days, not hours"
    assert data["freshness_limit"] == 30
    customers = {s.name: [v for _, v in s.points] for s in data["customers"]}
    assert customers["customers"] == [300, 300]
    changes = {s.name: [v for _, v in s.points] for s in data["id_changes"]}
    assert changes["merged"][0] == 1 and changes["split"][0] == 1, "the factory's history: one merge, one split"
    assert changes["merged"][1] == 0, "nothing changed since the run before"


@pytest.mark.browser
def test_steward_page_renders_charts_and_quarantine_offline(site, tmp_path):
    chromium()
    _quarantine(site.warehouse, "missing_key: id", PII)
    _quarantine(site.warehouse, "unparseable: not JSON", "name=Maria Lopez;mail=maria.lopez@example.org", "orders")
    for run_id in ("look-1", "look-2", "look-3"):
        run = run_quality(site.warehouse, run_id, quality_dir=site.quality_dir, publish_marts=False)
    index = site.quality_dir / "index.html"
    html = index.read_text()
    assert not re.findall(r"(?:https?:)?//[\w.-]+", html), "no external URL: the page must work offline"
    for secret in ("maria.lopez", "Lopez", "415 555"):
        assert secret not in html, f"personal data {secret!r} leaked into the page"

    dom = render(index, tmp_path)
    text = _text(dom)
    for chart in ("chart-passed", "chart-rows", "chart-quarantined", "chart-freshness", "chart-customers",
                  "chart-id-changes"):
        figure = re.search(rf'<figure class="chart" id="{chart}">(.*?)</figure>', dom, re.S)
        assert figure and "<svg" in figure.group(1), chart
        assert figure.group(1).count("<circle") >= 3, f"{chart}: one point per run"
    assert re.search(r'data-series="Sales"', dom) and "the last 3 runs" in text
    assert f"All {len(run.outcomes)} checks passed" in text
    # Consistent units and wording: freshness in days on both sides, no doubled words.
    assert "at most 30 days old" in text and "720 hours" not in text
    phrases = re.sub(r"<[^>]+>", "|", dom)  # a doubled word within one element ("last last update time")
    assert not re.search(r"\b(\w{3,})\s+\1\b", phrases), re.search(r"\b(\w{3,})\s+\1\b", phrases)
    # Plain names first, the technical one behind a click.
    assert "sales customers" in text and re.search(r"<details class=\"tech\"><summary>technical name</summary>"
                                                   r"<code>raw_sales\.customers</code>", dom)
    # Quarantine: counts by source, table and reason, and masked examples.
    counts = re.search(r'<table id="quarantine-counts">(.*?)</table>', dom, re.S).group(1)
    assert re.search(r"Sales.*?sales customers.*?a required field is missing.*?>2<", counts, re.S), counts
    assert re.search(r"Sales.*?sales orders.*?could not be read.*?>1<", counts, re.S), counts
    examples = _text(re.search(r'<table id="quarantine-examples">(.*?)</table>', dom, re.S).group(1))
    assert "m***@***.org" in examples and '"first_name": "M***"' in examples.replace("&quot;", '"')

    # Rendered, not only written: series colours, the freshness limit and the quarantine bars are on screen.
    shot = png_rows(screenshot(index, tmp_path / "page.png", tmp_path, size="1000,2000"))
    assert count_colour(shot, PALETTE[0]) > 500, "the chart lines are drawn"
    assert count_colour(shot, "#c0392b", 40) > 100, "the dashed freshness limit is drawn"
    assert count_colour(shot, BAR, 6) > 2000, "the bars of the quarantine reasons are drawn"
