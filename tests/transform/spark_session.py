"""Counts rows of the lakehouse's tables with a Spark session configured like the `spark` target of
transform/profiles.yml (same warehouse folder and metastore). Run as a script, so the JVM ends with it:

    python spark_session.py <C360_SPARK_DIR> <schema> [<schema> ...]   -> JSON {"schema.table": rows}
"""

from __future__ import annotations

import json
import sys


def session(spark_dir: str | None = None, master: str = "local[2]"):
    """A local Spark session; with ``spark_dir`` it sees the lakehouse's metastore, without it no catalog at all."""
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(master)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "8")
    )
    if spark_dir is not None:
        builder = (
            builder.config("spark.sql.warehouse.dir", f"{spark_dir}/warehouse")
            .config("spark.hadoop.javax.jdo.option.ConnectionURL",
                    f"jdbc:derby:;databaseName={spark_dir}/metastore_db;create=true")
            .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={spark_dir}")
            .enableHiveSupport()
        )
    else:
        # no catalog: nothing (metastore_db/, derby.log, spark-warehouse/) is left in the working directory
        import tempfile

        builder = (builder.config("spark.sql.catalogImplementation", "in-memory")
                   .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={tempfile.gettempdir()}"))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def main(spark_dir: str, *schemas: str) -> None:
    spark = session(spark_dir)
    counts = {}
    for schema in schemas:
        for row in spark.sql(f"show tables in {schema}").collect():
            counts[f"{schema}.{row.tableName}"] = spark.sql(f"select count(*) from {schema}.{row.tableName}").collect()[0][0]
    print(json.dumps(counts))


if __name__ == "__main__":
    main(*sys.argv[1:])
