"""Great Expectations Data Docs work offline: with the network blocked in Chromium, the index fills its
tables and a validation page shows its pass/fail icons (GX links both to CDNs; quality/data_docs.py points
them at the vendored copies)."""

from __future__ import annotations

import re

import pytest

from browser import chromium, count_colour, png_rows, render, screenshot
from quality import run_quality
from quality.data_docs import ASSETS
from quality_factory import execute

EXTERNAL_ASSET = re.compile(r"""<(?:script|link|img)\b[^>]*?(?:src|href)=["'](?:https?:)?//[^"']*""", re.I)
SUCCESS, DANGER = "#28a745", "#dc3545"  # Bootstrap 4's text-success / text-danger: the GX status icons


@pytest.mark.browser
def test_data_docs_show_pass_and_fail_without_network(site, tmp_path):
    chromium()
    execute(site.warehouse, "insert into raw_sales.customers select * from raw_sales.customers where id = 42")
    run = run_quality(site.warehouse, "offline-docs", quality_dir=site.quality_dir, publish_marts=False)
    failed = next(o for o in run.outcomes if not o.success)
    docs = site.quality_dir / "data_docs"
    pages = list(docs.rglob("*.html"))
    assert len(pages) > 5
    for page in pages:
        assert not EXTERNAL_ASSET.findall(page.read_text()), page

    index = render(docs / "index.html", tmp_path)
    rows = re.findall(r"<tr[^>]*data-index=", index)
    assert len(rows) >= 6, "bootstrap-table built the table of validation results from the page's data"
    assert "offline-docs" in index and re.search(r'href="validations/raw_sales/offline-docs/', index)

    validation = site.quality_dir / failed.docs_path
    assert validation.is_file() and "validations/raw_sales/offline-docs" in failed.docs_path
    shot = png_rows(screenshot(validation, tmp_path / "validation.png", tmp_path, size="1200,1400"))
    assert count_colour(shot, SUCCESS, 20) > 150, "the green pass icons are drawn"
    assert count_colour(shot, DANGER, 20) > 20, "the red fail icon is drawn"

    # The same page as GX wrote it (CDN links) shows no status offline: what the rewrite fixes.
    text = validation.read_text()
    for url, local in ASSETS.items():
        if local:
            text = re.sub(r'(?:\.\./)+static/vendor/' + re.escape(local), url, text)
    as_rendered = validation.with_name("as-rendered-by-gx.html")
    as_rendered.write_text(text)
    bare = png_rows(screenshot(as_rendered, tmp_path / "bare.png", tmp_path, size="1200,1400"))
    assert count_colour(bare, SUCCESS, 20) < 20
