"""`c360 demo` keeps its sample current: a sample ends the day it is generated, so one from an earlier day is
generated again (the demo's freshness checks would warn on it), one from today is reused."""

from __future__ import annotations

import json
from pathlib import Path

from orchestration.demo import ensure_sample
from samplekit import REFERENCE_DATE, generate_sample
from samples.generator.common import iso_z, reference_time


def test_demo_reuses_todays_sample_and_regenerates_an_old_one(tmp_path: Path) -> None:
    sample = tmp_path / "sample"
    said: list[str] = []
    generate_sample(sample, customers=30, seed=3)  # ends on REFERENCE_DATE, a day in the past
    assert ensure_sample(sample, customers=30, seed=3, messiness=1.0, echo=said.append) is True
    assert f"ends on {REFERENCE_DATE.isoformat()}, not today" in said[0]
    manifest = json.loads((sample / "manifest.json").read_text())
    assert manifest["reference_time"] == iso_z(reference_time())
    assert ensure_sample(sample, customers=30, seed=3, messiness=1.0, echo=said.append) is False
    assert "reusing" in said[-1]
