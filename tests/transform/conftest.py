"""One generated + loaded + built warehouse per test session, copied for the tests that change it."""

from __future__ import annotations

import dataclasses
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Iterator

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).parent))

import sample_loader  # noqa: E402
from sample_loader import Built  # noqa: E402  (tests import it from there, not from a conftest)

CUSTOMERS = 300
SEED = 42


@pytest.fixture(scope="session")
def workspace() -> Iterator[Path]:
    """A private temp folder for the session: pytest prunes old basetemp folders of *other* concurrent sessions,
    which would pull the shared warehouse away under a long-running fixture chain."""
    with tempfile.TemporaryDirectory(prefix="c360-transform-tests-") as folder:
        yield Path(folder)


@pytest.fixture(scope="session")
def built(workspace: Path) -> Built:
    """~300 generated customers at default messiness, loaded with ingestion.pipelines, then `dbt build`."""
    root = workspace / "built"
    root.mkdir()
    sample_dir = root / "sample"
    sample_loader.generate(sample_dir, customers=CUSTOMERS, seed=SEED)
    # truth.csv grows with increments: keep the batch-0 truth for the tests of this warehouse
    truth = root / "truth-batch0.csv"
    shutil.copy2(sample_dir / "truth.csv", truth)
    warehouse = root / "warehouse.duckdb"
    sample_loader.load(sample_dir, warehouse)
    target_path = root / "dbt-target"
    sample_loader.build_foundation(warehouse, target_path=target_path)
    return Built(sample_dir=sample_dir, warehouse=warehouse, truth=truth, target_path=target_path)


@pytest.fixture(scope="session")
def rerun(built: Built, workspace: Path) -> Built:
    """A copy of the built warehouse after a second `dbt build` with no new data."""
    root = workspace / "rerun"
    root.mkdir()
    warehouse = sample_loader.copy_warehouse(built.warehouse, root / "warehouse.duckdb")
    # models only: the data and unit tests already ran on this state in `built`
    sample_loader.build_foundation(warehouse, target_path=built.target_path, command="run")
    return Built(sample_dir=built.sample_dir, warehouse=warehouse, truth=built.truth, target_path=built.target_path)


@pytest.fixture(scope="session")
def incremented(rerun: Built, workspace: Path) -> Built:
    """The rerun warehouse after the generator's next increment is loaded and built incrementally."""
    root = workspace / "increment"
    root.mkdir()
    sample_dir = root / "sample"
    shutil.copytree(rerun.sample_dir, sample_dir)
    warehouse = sample_loader.copy_warehouse(rerun.warehouse, root / "warehouse.duckdb")
    sample_loader.generate(sample_dir, customers=CUSTOMERS, seed=SEED, increment=True)
    sample_loader.load(sample_dir, warehouse)
    sample_loader.build_foundation(warehouse, target_path=rerun.target_path)
    return Built(sample_dir=sample_dir, warehouse=warehouse, truth=sample_dir / "truth.csv", target_path=rerun.target_path)


def build_crm(warehouse: Path, target_path: Path, *extra_select: str, full_refresh: bool = False) -> float:
    from orchestration.constants import DBT_BUILD_ARGS

    args = [*DBT_BUILD_ARGS, "--select", "tag:crm", *extra_select]
    if full_refresh:
        args.append("--full-refresh")
    return sample_loader.dbt(warehouse, *args, target_path=target_path)


@pytest.fixture(scope="session")
def crm(built, workspace: Path):
    """A copy of the session warehouse with the CRM marts built (the production build: data tests, no unit tests)."""
    root = workspace / "crm"
    root.mkdir()
    warehouse = sample_loader.copy_warehouse(built.warehouse, root / "warehouse.duckdb")
    build_crm(warehouse, built.target_path)
    return dataclasses.replace(built, warehouse=warehouse)


@pytest.fixture(scope="session")
def crm_incremented(crm, incremented, workspace: Path):
    """The crm warehouse after the generator's next increment, rebuilt incrementally (foundation + CRM marts).

    The increment's raw tables are taken from the session's ``incremented`` warehouse (the same generated increment
    loaded by the real pipelines onto the same batch 0), which saves generating and loading it a second time.
    """
    root = workspace / "crm-increment"
    root.mkdir()
    warehouse = sample_loader.copy_warehouse(crm.warehouse, root / "warehouse.duckdb")
    con = duckdb.connect(str(warehouse))
    try:
        con.execute(f"attach '{incremented.warehouse}' as increment (read_only)")
        tables = con.execute("""
            select schema_name, table_name from duckdb_tables()
            where database_name = 'increment' and schema_name in ('raw_sales', 'raw_support', 'raw_email', 'raw_web')
        """).fetchall()
        for schema, table in tables:
            con.execute(f'create or replace table {schema}."{table}" as select * from increment.{schema}."{table}"')
        con.execute("detach increment")
    finally:
        con.close()
    build_crm(warehouse, crm.target_path, *sample_loader.FOUNDATION)
    return dataclasses.replace(crm, sample_dir=incremented.sample_dir, warehouse=warehouse)
