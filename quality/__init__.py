"""c360 quality: Great Expectations suites on every layer, steward reports, write-audit-publish.

Python API (used by the `c360 quality` / `c360 publish` commands and the Dagster asset checks)::

    from quality import run_suites, store_results, write_report, publish, run_quality

    outcomes = run_suites("raw", warehouse, run_id)      # list[ExpectationOutcome]; warehouse read-only
    store_results(outcomes, warehouse)                   # append to quality.validation_results
    result = publish(warehouse, run_id)                  # PublicationResult; refuses on critical failures
    write_report(run_id, warehouse=warehouse, publication=result)   # data/quality/runs/<run_id>.html

    run_quality(warehouse, run_id, layers=("raw", "identity", "marts"), publish_marts=True)  # all of it
"""

from quality.config import ConfigError, load_config
from quality.model import LAYERS, ExpectationOutcome, PublicationResult
from quality.publish import publish
from quality.report import write_report
from quality.results import latest_run_id, list_runs, load_results, store_results
from quality.runner import QualityRun, cli_main, run_quality
from quality.suites import new_run_id, run_suites

__all__ = [
    "LAYERS", "ConfigError", "ExpectationOutcome", "PublicationResult", "QualityRun",
    "cli_main", "latest_run_id", "list_runs", "load_config", "load_results", "new_run_id", "publish",
    "run_quality", "run_suites", "store_results", "write_report",
]
