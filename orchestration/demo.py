"""`c360 demo`: generate (or reuse) the sample source systems, serve them, and run the whole pipeline.

The sample's four systems are wired in through the same settings a real deployment uses (SOURCES__*),
set in this process only (samples.environment.serve_sample): the sales database file, a Zendesk-compatible
API on a free loopback port with a random token (never printed), and the email and web folders.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from c360.settings import sample_dir, warehouse_path
from samples.environment import serve_sample


def _manifest(sample: Path) -> dict | None:
    try:
        return json.loads((sample / "manifest.json").read_text())
    except (OSError, ValueError):
        return None


def ensure_sample(sample: Path, customers: int, seed: int, messiness: float, echo=print,
                  profile: str = "default") -> bool:
    """Generate the sample into `sample` unless one with the same settings is already there.

    Returns True when it generated a new sample. An existing sample with other settings, with increments added,
    or ending on another day (a sample ends the day it is generated, so freshness checks pass on it) is
    replaced only if it is a generated sample (has manifest.json); any other folder is left alone.
    """
    from samples.generator import generate
    from samples.generator.common import iso_z, reference_time

    manifest = _manifest(sample)
    if manifest is not None:
        same = (
            manifest.get("customers") == customers
            and manifest.get("seed") == seed
            and float(manifest.get("messiness", -1)) == float(messiness)
            and manifest.get("profile", "default") == profile
            and len(manifest.get("batches", [])) == 1
        )
        today = manifest.get("reference_time") == iso_z(reference_time())
        if same and today:
            echo(f"c360 demo: reusing the sample in {sample} ({customers:,} customers, seed {seed})")
            return False
        why = "has other settings" if not same else f"ends on {str(manifest.get('reference_time'))[:10]}, not today"
        echo(f"c360 demo: the sample in {sample} {why}; generating it again")
        shutil.rmtree(sample)
    elif sample.exists() and any(sample.iterdir()):
        raise SystemExit(
            f"error: {sample} exists and is not a generated sample (no manifest.json); "
            "choose another folder with --sample-dir or C360_SAMPLE_DIR"
        )
    echo(f"c360 demo: generating {customers:,} sample customers into {sample} (seed {seed})")
    generate(out=sample, customers=customers, seed=seed, messiness=messiness, increment=False, profile=profile)
    return True


def reset_warehouse(echo=print) -> None:
    """Remove the warehouse built from an earlier sample (and its dlt state, which lives next to it)."""
    warehouse = warehouse_path()
    removed = False
    for path in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
        if path.exists():
            path.unlink()
            removed = True
    state = warehouse.with_name(warehouse.name + ".dlt")
    if state.exists():
        shutil.rmtree(state)
        removed = True
    if removed:
        echo(f"c360 demo: removed the warehouse {warehouse} built from the previous sample")


def run_demo(customers: int, seed: int, messiness: float, sample: Path | None = None, echo=print,
             profile: str = "default") -> int:
    from orchestration.jobs import FULL_JOB
    from orchestration.runner import main_run

    sample = (sample or sample_dir()).resolve()
    if ensure_sample(sample, customers=customers, seed=seed, messiness=messiness, echo=echo, profile=profile):
        reset_warehouse(echo=echo)
    # Zendesk's 10 requests a minute to the incremental exports would add a minute of waiting to a sample that
    # loads in seconds: the demo lifts that limit (`c360 zendesk-server` and the tests keep it)
    with serve_sample(sample, incremental_rate_limit=700):
        echo("c360 demo: sample systems ready (sales database file, Zendesk API on loopback, email and web folders)")
        return main_run(FULL_JOB)
