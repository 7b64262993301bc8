"""`dbt build` on the Spark engine: dbt invocations around the steps dbt-spark cannot run.

dbt-spark's ``session`` method runs no Python models, so with ``C360_ENGINE=spark`` the dbt asset's build is cut at
every Python model of the project: dbt builds everything up to it, the model's Spark step writes its table
(identity/spark.py: Splink prediction, the cluster guard), dbt builds on from there. Each node is built exactly
once, in dependency order; the data tests of a Python model run in the dbt invocation after its step.

The cuts are made with ``--exclude`` only: dagster-dbt adds its own ``--select`` (the whole project, or the
subset a run selected), and dbt unions several ``--select`` flags but subtracts every ``--exclude``, so an
exclusion list composes with any subset Dagster asks for.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import dagster as dg
from dagster_dbt.errors import DagsterDbtCliRuntimeError

from orchestration.constants import DBT_BUILD_ARGS

#: Resource types a `dbt build` runs; unit tests are excluded by DBT_BUILD_ARGS.
_BUILT = ("model", "seed", "snapshot", "test")


@dataclass(frozen=True)
class Segment:
    """One dbt invocation (``exclude``: node names it must not build), then the Python model ``step`` (or None)."""

    exclude: tuple[str, ...]
    step: str | None


def _descendants(manifest: Mapping[str, Any], unique_id: str) -> set[str]:
    seen, todo = {unique_id}, [unique_id]
    while todo:
        for child in manifest["child_map"].get(todo.pop(), []):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


def plan(manifest: Mapping[str, Any]) -> list[Segment]:
    """The dbt invocations and Spark steps of one build: a node's stage is the number of Python models it
    descends from (a Python model counts itself); stage s is built after the s-th Python model's step."""
    nodes = {uid: n for uid, n in manifest["nodes"].items() if n["resource_type"] in _BUILT}
    python = [uid for uid, n in nodes.items() if n["resource_type"] == "model" and n.get("language") == "python"]
    below = {uid: _descendants(manifest, uid) for uid in python}
    # ordered so that each Python model descends from the ones before it
    python = sorted(python, key=lambda uid: sum(uid in below[other] for other in below))
    for earlier, later in zip(python, python[1:]):
        if later not in below[earlier]:
            raise ValueError(f"Python models {nodes[earlier]['name']} and {nodes[later]['name']} are independent of "
                             "each other: the Spark build runs Python models one after the other on one path")
    stage = {uid: sum(uid in below[p] for p in python) for uid in nodes}
    segments = []
    for s in range(len(python) + 1):
        exclude = sorted({n["name"] for uid, n in nodes.items() if stage[uid] != s or uid in python})
        segments.append(Segment(tuple(exclude), nodes[python[s]]["name"] if s < len(python) else None))
    return segments


def run_step(context: dg.AssetExecutionContext, model: Mapping[str, Any]) -> str:
    """Runs a Python model's Spark step in a process of its own (it ends its JVM and frees the metastore);
    returns its summary line."""
    from identity.spark import step_args

    args = [sys.executable, "-m", "identity.spark", *step_args(model["name"], model["config"])]
    started = time.monotonic()
    result = subprocess.run(args, capture_output=True, text=True, env={**os.environ})
    if result.returncode != 0:
        tail = "\n".join(line for line in (result.stderr or "").strip().splitlines()[-15:])
        raise dg.Failure(description=f"Spark step of {model['name']} failed (exit {result.returncode}):\n{tail}",
                         allow_retries=False)
    line = (result.stdout.strip().splitlines() or [""])[-1]
    context.log.info(f"{line} (step of {model['name']}, {time.monotonic() - started:.1f}s)")
    return line


def build(context: dg.AssetExecutionContext, dbt: Any, manifest: Mapping[str, Any]) -> Iterator[Any]:
    """The dbt asset's body on Spark: the segments of :func:`plan`, yielding dagster-dbt's events and an output
    for each Python model its step wrote."""
    by_name = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    selected = set(context.selected_asset_keys)
    segments = plan(manifest)
    for number, segment in enumerate(segments, 1):
        exclude = ["--exclude", " ".join(segment.exclude)] if segment.exclude else []
        try:
            yield from dbt.cli([*DBT_BUILD_ARGS, *exclude], context=context).stream()
        except DagsterDbtCliRuntimeError as exc:
            # dagster-dbt's message starts with the whole command line, here hundreds of excluded names
            raise dg.Failure(description=_short(exc.description or str(exc), number, len(segments)),
                             metadata=exc.metadata, allow_retries=False) from exc
        if segment.step is None:
            continue
        node = by_name[segment.step]
        # the key C360DbtTranslator gives a model
        key = dg.AssetKey([node["schema"], node["name"]])
        if key not in selected:
            continue  # a subset run that does not rebuild this model reads its current table
        line = run_step(context, node)
        yield dg.Output(None, output_name=context.assets_def.get_output_name_for_asset_key(key),
                        metadata={"spark_step": line})


def _short(description: str, number: int, total: int) -> str:
    """dagster-dbt's failure text with the command line replaced by which part of the Spark build failed."""
    text = re.sub(r"`[^`]*dbt build[^`]*`", f"`dbt build` (part {number} of {total} of the Spark build)", description,
                  flags=re.S)
    return text
