"""The steward front page, rendered by a real browser (Debian's headless Chromium)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from browser import chromium, render
from quality import run_quality
from quality_factory import execute


class Cards(HTMLParser):
    """Collects the failure cards of the page: their severity, heading text, example cells and links."""

    def __init__(self) -> None:
        super().__init__()
        self.cards: list[dict] = []
        self._depth = 0
        self._in_h3 = self._in_td = False
        self.links: list[str] = []
        self.assets: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "img", "iframe") or (tag == "link" and a.get("rel") == "stylesheet"):
            self.assets.append(a.get("src") or a.get("href") or tag)
        if tag == "a":
            self.links.append(a.get("href", ""))
        if tag == "div" and "card" in (a.get("class") or "").split():
            self.cards.append({"class": a["class"], "key": a.get("data-expectation"), "title": "", "cells": [],
                               "links": []})
            self._depth = 1
        elif self._depth and tag == "div":
            self._depth += 1
        if self._depth:
            self._in_h3 = self._in_h3 or tag == "h3"
            self._in_td = tag == "td"
            if tag == "a":
                self.cards[-1]["links"].append(a.get("href", ""))

    def handle_endtag(self, tag):
        if self._depth and tag == "div":
            self._depth -= 1
        if tag == "h3":
            self._in_h3 = False
        if tag == "td":
            self._in_td = False

    def handle_data(self, data):
        if self._depth and self._in_h3:
            self.cards[-1]["title"] += data
        if self._depth and self._in_td:
            self.cards[-1]["cells"].append(data.strip())


@pytest.mark.browser
def test_front_page_lists_the_failures_in_plain_words(site, tmp_path):
    chromium()  # fail first, with the fix, when the browser is missing
    execute(site.warehouse,
            "update raw_sales.orders set created_at = timestamptz '1990-01-01 00:00:00+00' where id in (3, 4, 9, 10)",
            "insert into raw_sales.customers select * from raw_sales.customers where id = 42")
    run = run_quality(site.warehouse, "report-run", quality_dir=site.quality_dir, publish_marts=True,
                      published_path=site.published, parquet_dir=site.parquet_dir)
    assert not run.ok and run.publication is not None and not run.publication.published
    assert run.report == site.quality_dir / "runs" / "report-run.html"

    for page in (run.report, site.quality_dir / "index.html"):
        dom = render(page, tmp_path)
        parsed = Cards()
        parsed.feed(dom)
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dom))

        assert "2 critical problem(s) found" in text
        # The page says what it counts, and why `c360 run` (which adds the dbt tests) counts more.
        assert f"out of {len(run.outcomes)} checks" in text
        assert "row-level tests of the dbt models" in text and "c360 run" in text
        assert "not published" in text and "last good publication" in text
        cards = {c["key"]: c for c in parsed.cards}
        assert set(cards) == {"raw_sales/orders.created_at.timestamp_range", "raw_sales/customers.id.unique"}

        clock = cards["raw_sales/orders.created_at.timestamp_range"]
        assert "critical" in clock["class"]
        assert "4 sales orders have an order time before 2000-01-01" in clock["title"]
        assert {"3", "4", "9", "10"} <= set(clock["cells"]), "the failing orders are shown as examples"
        assert any(cell.startswith("1990-01-01") for cell in clock["cells"])
        dup = cards["raw_sales/customers.id.unique"]
        assert "2 sales customers share their customer id with another record" in dup["title"]
        assert "42" in dup["cells"]

        # Each failure links into Data Docs, and the linked page exists.
        for card in parsed.cards:
            docs = [h for h in card["links"] if "data_docs/validations/" in h]
            assert docs, card["key"]
            assert (page.parent / docs[0]).resolve().is_file()
        assert not parsed.assets, f"the page must not load scripts or external assets: {parsed.assets}"
        assert not [h for h in parsed.links if h.startswith(("http:", "https:", "//"))]

    index = Cards()
    index.feed(render(site.quality_dir / "index.html", tmp_path))
    assert "runs/report-run.html" in index.links, "the index lists the runs"
