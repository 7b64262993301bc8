"""Settings of the whole suite's processes (each folder's conftest.py holds its fixtures)."""

import sys

# `make test` runs two pytest-xdist workers, started as `python -c ...`: their __main__ module has neither
# __spec__ nor __file__. pyspark takes such a process for its own doctest run and exits it (sys.exit(0)) on
# `import pyspark.sql.connect`, which Great Expectations imports whenever pyspark is installed (the `spark`
# extra). Giving __main__ a file name keeps the workers alive; a process started from a script or with -m
# (pytest itself, Dagster's step processes) has one already.
_main = sys.modules["__main__"]
if getattr(_main, "__spec__", None) is None and not hasattr(_main, "__file__"):
    _main.__file__ = "<pytest-xdist worker>"
