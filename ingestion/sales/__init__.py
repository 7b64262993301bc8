"""Sales: the order database (SQLite by default, PostgreSQL or any SQLAlchemy URL) -> ``raw_sales``.

Built on dlt's ``sql_database`` ``sql_table`` resources with the ``pyarrow`` backend (rows arrive as Arrow
tables, which dlt writes to Parquet without per-row work):

* incremental on ``updated_at`` (dlt keeps the highest value and reads only ``updated_at >= last`` next
  time), merged on ``id`` so an updated row replaces its earlier version;
* every batch is validated with ``pyarrow.compute`` before the incremental step (required columns set,
  no negative money, no timestamps more than a day ahead); bad rows go to ``quarantine`` once each, and
  never move the cursor;
* table reflection is deferred to the run, so building the source (e.g. Dagster loading its definitions)
  never connects to the database.

Config: secret ``sources.sales.credentials`` (env ``SOURCES__SALES__CREDENTIALS``): a SQLAlchemy URL such
as ``postgresql+psycopg2://user:password@host:5432/db``; required, no default (a run without it fails at
once naming the key). Optional ``sources.sales.schema`` (database schema, e.g. ``public``).
"""

from __future__ import annotations

from typing import Optional

import dlt
from dlt.sources import DltResource
from dlt.sources.sql_database import sql_table

from ingestion.errors import missing_setting_resource, missing_settings_message
from ingestion.quarantine import with_quarantine
from ingestion.sales.helpers import batch_validator
from ingestion.sales.settings import CHUNK_SIZE, CURSOR, PRIMARY_KEY, TABLES


@dlt.source(name="sales")
def sales(
    credentials: Optional[str] = dlt.secrets.value,
    schema: Optional[str] = dlt.config.value,
    table_names: Optional[list[str]] = None,
    chunk_size: int = CHUNK_SIZE,
) -> list[DltResource]:
    """``products``, ``customers``, ``orders``, ``order_items`` (+ ``quarantine``) from the order database."""
    if not credentials:
        message = missing_settings_message("sales", ["credentials"])
        return [missing_setting_resource(table, message, primary_key=PRIMARY_KEY, write_disposition="merge")
                for table in table_names or TABLES]
    url = str(credentials)
    resources = []
    for table in table_names or TABLES:
        resource = sql_table(
            credentials=url,
            table=table,
            schema=schema,
            backend="pyarrow",
            chunk_size=chunk_size,
            reflection_level="full",
            defer_table_reflect=True,
            incremental=dlt.sources.incremental(CURSOR, on_cursor_value_missing="include"),
            write_disposition="merge",
            primary_key=PRIMARY_KEY,
        )
        # validate before the incremental step (pipe step 1) so bad rows never move the cursor
        resource.add_yield_map(batch_validator(table), insert_at=1)
        resources.append(with_quarantine(resource))
    return resources
