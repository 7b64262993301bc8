"""dbt models as Dagster assets (dagster-dbt), wired onto the dlt raw assets."""


import json
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from filelock import FileLock
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from c360.settings import engine, export_environment, warehouse_path
from c360.settings import TRANSFORM_DIR
from orchestration.constants import DBT_BUILD_ARGS, WAREHOUSE_POOL
from orchestration.resources import WarehouseLock

#: Seconds a process waits for another one that is parsing the dbt project.
_PREPARE_LOCK_TIMEOUT = 900

#: Files whose change makes the parsed manifest stale.
_PROJECT_INPUTS = ("dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml")
_PROJECT_FOLDERS = ("models", "macros", "seeds", "tests", "snapshots", "analyses")


#: dbt installed beside this Python (the project's venv). `.venv/bin/c360` runs without an activated venv,
#: so `dbt` is not on PATH; dagster-dbt's manifest preparer looks it up there and cannot be told otherwise.
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"
if DBT_EXECUTABLE.exists() and str(DBT_EXECUTABLE.parent) not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = os.pathsep.join([str(DBT_EXECUTABLE.parent), os.environ.get("PATH", "")])


def dbt_project() -> DbtProject:
    return DbtProject(project_dir=TRANSFORM_DIR, profiles_dir=TRANSFORM_DIR)


def _newest_input(project_dir: Path) -> float:
    newest = 0.0
    for name in _PROJECT_INPUTS:
        path = project_dir / name
        if path.exists():
            newest = max(newest, path.stat().st_mtime)
    for folder in _PROJECT_FOLDERS:
        root = project_dir / folder
        if root.is_dir():
            for path in root.rglob("*"):
                if path.is_file():
                    newest = max(newest, path.stat().st_mtime)
    return newest


def prepare(project: DbtProject) -> Path:
    """Make sure target/manifest.json exists and is current, so a fresh clone loads without a build step.

    `prepare_if_dev()` re-parses only under `dagster dev`; `c360 run`, `c360 ui` and the tests load the
    definitions in plain Python, so the manifest is also (re)parsed here whenever it is missing or older
    than the project files. dbt parse does not open the warehouse.
    """
    project.prepare_if_dev()
    manifest = Path(project.manifest_path)

    def stale() -> bool:
        return not manifest.exists() or manifest.stat().st_mtime < _newest_input(Path(project.project_dir))

    if stale():
        # dagster-dbt's own guard gives up after 60 s, less than one `dbt parse` on a busy 2-core machine;
        # processes that load the definitions together (a sensor run and `c360 run`, say) queue here instead.
        manifest.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(manifest.with_suffix(".c360-prepare-lock")), timeout=_PREPARE_LOCK_TIMEOUT):
            if stale():
                export_environment()
                project.preparer.prepare(project)
    return manifest


class C360DbtTranslator(DagsterDbtTranslator):
    """dbt node -> ``[<schema>, <name>]``; a dbt source -> the dlt asset that loads its table.

    `raw_tables` maps each warehouse table dlt writes (``raw_web.tracks``) to the key of the dlt asset
    writing it (``["raw_web", "events"]``), so every dbt source lands on its dlt asset and the lineage is
    one graph from source system to mart. A dlt child table (``raw_support.tickets__tags``) belongs to the
    asset of its parent table.
    """

    def __init__(self, raw_tables: Mapping[str, dg.AssetKey], settings: DagsterDbtTranslatorSettings | None = None):
        super().__init__(
            settings=settings
            or DagsterDbtTranslatorSettings(
                enable_asset_checks=True,
                # several dbt sources share one dlt asset: web `events` writes identifies, tracks and pages;
                # `tickets` writes tickets and tickets__tags
                enable_duplicate_source_asset_keys=True,
            )
        )
        self.raw_tables = dict(raw_tables)

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        schema = dbt_resource_props.get("schema")
        if dbt_resource_props["resource_type"] == "source":
            table = dbt_resource_props.get("identifier") or dbt_resource_props["name"]
            for candidate in (table, table.split("__", 1)[0]):
                key = self.raw_tables.get(f"{schema}.{candidate}")
                if key is not None:
                    return key
            return dg.AssetKey([schema, table])
        return dg.AssetKey([schema, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        # dbt's folders are the layers: staging, intermediate, marts (and seeds).
        if dbt_resource_props["resource_type"] == "seed":
            return "seeds"
        fqn = dbt_resource_props.get("fqn") or []
        return fqn[1] if len(fqn) > 2 else None


def build_dbt_assets(raw_tables: Mapping[str, dg.AssetKey]) -> dg.AssetsDefinition:
    project = dbt_project()
    manifest = prepare(project)

    @dbt_assets(
        manifest=manifest,
        project=project,
        dagster_dbt_translator=C360DbtTranslator(raw_tables),
        name="dbt_build",
        pool=WAREHOUSE_POOL,
    )
    def _dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse_lock: WarehouseLock) -> Iterator[Any]:
        """`dbt build`: seeds, models and their data tests (surfaced as asset checks), in dependency order; the
        unit tests run in the test suite, not in production (DBT_BUILD_ARGS). On the Spark engine the build is
        cut around the Python models, which run as Spark steps (orchestration/spark_build.py)."""
        from quality.publish import record_build

        export_environment()
        with warehouse_lock.hold(context):
            # the publication step publishes only marts whose last build is its own run's (quality/publish.py)
            record_build(warehouse_path(), context.run_id)
            if engine() == "spark":
                from orchestration import spark_build

                yield from spark_build.build(context, dbt, json.loads(manifest.read_text(encoding="utf-8")))
            else:
                yield from dbt.cli(list(DBT_BUILD_ARGS), context=context).stream()

    return _dbt


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(
        project_dir=dbt_project(),
        profiles_dir=str(TRANSFORM_DIR),
        dbt_executable=str(DBT_EXECUTABLE) if DBT_EXECUTABLE.exists() else "dbt",
    )
