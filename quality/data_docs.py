"""Great Expectations Data Docs that work offline.

GX 1.x renders every Data Docs page with ``<script>``/``<link>`` tags pointing at CDNs (Bootstrap, jQuery,
bootstrap-table, Font Awesome, Vega) and an ``<img>`` of its logo on S3. With no network the site index
shows empty tables (bootstrap-table fills them in JavaScript) and a validation page shows no pass/fail at
all (the status is a Font Awesome icon). GX has no setting for local assets, so after each render this
module copies the vendored files of ``quality/static/vendor`` (see its README for versions and licenses)
into ``<site>/static/vendor`` and rewrites the tags of every page to relative links. Tags of assets the
site does not need offline (Vega, used only by GX's profiling pages; the optional dark theme) are dropped.

A page is only rewritten while it still holds a CDN link, so a run touches just the pages GX wrote anew.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

VENDOR = Path(__file__).with_name("static") / "vendor"
#: CDN address (as GX 1.x writes it) -> vendored file under static/vendor, or None to drop the tag.
ASSETS: dict[str, str | None] = {
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js":
        "bootstrap-table-filter-control.min.js",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css":
        "bootstrap-table-filter-control.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.css":
        "bootstrap-table-filter-control.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css":
        "bootstrap-table-filter-control.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js":
        "bootstrap-datepicker.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css":
        "bootstrap-datepicker.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "fontawesome/css/all.min.css",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": None,
    "https://cdn.jsdelivr.net/npm/vega@5": None,
    "https://cdn.jsdelivr.net/npm/vega-lite@5": None,
    "https://cdn.jsdelivr.net/npm/vega-embed@6": None,
}
_TAG = re.compile(r"""<(?:script|link)\b[^>]*?(?:src|href)=["'](https?://[^"']+)["'][^>]*>(?:\s*</script>)?""", re.I)
#: GX's logo, fetched from S3 with a tracking query string; GX ships the same image in static/images.
_LOGO = re.compile(r"""src=["']https://great-expectations-web-assets\.[^"']*/(logo-long\.png)[^"']*["']""")
_EXTERNAL_ASSET = re.compile(r"""<(?:script|link|img)\b[^>]*?(?:src|href)=["'](?:https?:)?//""", re.I)


def _copy_vendor(site: Path) -> Path:
    target = site / "static" / "vendor"
    for src in VENDOR.rglob("*"):
        if src.is_file() and src.suffix != ".md":
            dst = target / src.relative_to(VENDOR)
            if not dst.exists() or dst.stat().st_size != src.stat().st_size:
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dst)
    return target


def rewrite_page(text: str, vendor: str, images: str) -> str:
    """One page's CDN tags pointed at ``vendor`` (a relative URL prefix), unneeded ones dropped."""
    def local(match: re.Match) -> str:
        url = match.group(1)
        if url not in ASSETS:
            return match.group(0)
        if ASSETS[url] is None:
            return ""
        return match.group(0).replace(url, f"{vendor}/{ASSETS[url]}")

    text = _TAG.sub(local, text)
    return _LOGO.sub(lambda m: f'src="{images}/{m.group(1)}"', text)


def make_offline(site: Path) -> int:
    """Make the Data Docs site under ``site`` work without network; returns the pages rewritten."""
    site = Path(site)
    if not site.is_dir():
        return 0
    vendor = _copy_vendor(site)
    images = site / "static" / "images"
    rewritten, unknown = 0, 0
    for page in site.rglob("*.html"):
        if page.is_relative_to(vendor):
            continue
        text = page.read_text(encoding="utf-8")
        if "://" not in text:
            continue
        new = rewrite_page(text, Path(os.path.relpath(vendor, page.parent)).as_posix(),
                           Path(os.path.relpath(images, page.parent)).as_posix())
        unknown += bool(_EXTERNAL_ASSET.search(new))
        if new != text:
            tmp = page.with_name(f".{page.name}.{os.getpid()}.tmp")
            tmp.write_text(new, encoding="utf-8")
            os.replace(tmp, page)
            rewritten += 1
    if unknown:  # a GX upgrade added an asset this module does not know: say so, the rest still works
        log.warning("%d Data Docs page(s) still load an external asset; add it to quality.data_docs.ASSETS", unknown)
    return rewritten
