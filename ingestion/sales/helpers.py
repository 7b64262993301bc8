"""Vectorized validation of sales batches (Arrow tables from dlt's ``sql_database`` pyarrow backend)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable, Iterator

import pyarrow as pa
import pyarrow.compute as pc
from dlt.common.normalizers.utils import generate_dlt_ids

from ingestion.quarantine import QuarantineLedger, future_limit, quarantine_items, quarantine_row
from ingestion.sales.settings import ALLOWED_VALUES, NON_NEGATIVE, NOT_FUTURE, POSITIVE, REQUIRED

SOURCE = "sales"

#: (reason, detail, column) -> mask of the rows that break the rule. Evaluated on whole batches.
Rule = tuple[str, str, str, Callable[[pa.ChunkedArray], pa.ChunkedArray]]


def _future_mask(col: pa.ChunkedArray, limit: datetime) -> pa.ChunkedArray:
    typ = col.type
    if pa.types.is_timestamp(typ):
        bound = limit if typ.tz else limit.astimezone(timezone.utc).replace(tzinfo=None)
        return pc.greater(col, pa.scalar(bound, type=pa.timestamp("us", tz=typ.tz)).cast(typ))
    if pa.types.is_date(typ):
        return pc.greater(col, pa.scalar(limit.date(), type=typ))
    # not a temporal column (a database without types): nothing to judge here
    return pa.chunked_array([pa.nulls(len(col), pa.bool_())])


def rules_for(table: str, limit: datetime) -> list[Rule]:
    """The checks of one table, most fundamental first (the first failing one is the reason)."""
    rules: list[Rule] = []
    for column in REQUIRED.get(table, ()):
        rules.append(("missing_key", f"{column} is null", column, pc.is_null))
    for column in NOT_FUTURE.get(table, ()):
        rules.append(
            ("future_timestamp", f"{column} is more than a day ahead", column, lambda c, lim=limit: _future_mask(c, lim))
        )
    for column in NON_NEGATIVE.get(table, ()):
        rules.append(("invalid_value", f"{column} is negative", column, lambda c: pc.less(c, 0)))
    for column in POSITIVE.get(table, ()):
        rules.append(("invalid_value", f"{column} is not positive", column, lambda c: pc.less_equal(c, 0)))
    for column, allowed in ALLOWED_VALUES.get(table, {}).items():
        values = pa.array(allowed, pa.string())
        rules.append(
            (
                "invalid_value",
                f"{column} is not one of {', '.join(allowed)}",
                column,
                lambda c, v=values: pc.invert(pc.is_in(c.cast(pa.string()), value_set=v)),
            )
        )
    return rules


def split_batch(table_name: str, batch: pa.Table, limit: datetime) -> tuple[pa.Table, list[dict[str, Any]]]:
    """(valid rows, quarantine rows) of one batch; the masks are computed column-wise with pyarrow.compute."""
    if batch.num_rows == 0:
        return batch, []
    masks: list[tuple[str, str, pa.ChunkedArray]] = []
    any_bad = None
    for reason, detail, column, rule in rules_for(table_name, limit):
        if column not in batch.column_names:
            continue  # a column dropped upstream is schema drift, not a bad row
        mask = pc.fill_null(rule(batch[column]), False)
        masks.append((reason, detail, mask))
        any_bad = mask if any_bad is None else pc.or_(any_bad, mask)
    if any_bad is None or not pc.any(any_bad).as_py():
        return batch, []
    bad_idx = pc.indices_nonzero(any_bad)
    bad_rows = batch.take(bad_idx).to_pylist()
    quarantined = []
    for idx, row in zip(bad_idx.to_pylist(), bad_rows):
        reason, detail = next((r, d) for r, d, m in masks if m[idx].as_py())
        quarantined.append(quarantine_row(SOURCE, table_name, f"table {table_name}", reason, row, detail=detail))
    return batch.filter(pc.invert(any_bad)), quarantined


def batch_validator(table_name: str) -> Callable[[Any], Iterator[Any]]:
    """A dlt yield-map step for one table: valid rows go on (with a ``_dlt_id``), bad rows to ``quarantine``
    (each once: a row with a future ``updated_at`` is read again on every run)."""
    ledger = QuarantineLedger(table_name)

    def _validate(batch: Any) -> Iterator[Any]:
        if not isinstance(batch, pa.Table):
            yield batch
            return
        good, bad = split_batch(table_name, batch, future_limit())
        fresh = ledger.new_only(bad)
        if fresh:
            yield quarantine_items(fresh)
        if good.num_rows:
            if "_dlt_id" not in good.column_names:
                good = good.append_column("_dlt_id", pa.array(generate_dlt_ids(good.num_rows), pa.string()))
            yield good

    return _validate
