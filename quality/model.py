"""The values the quality package hands to its callers (the CLI, Dagster asset checks, tests)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

Layer = Literal["raw", "identity", "marts"]
LAYERS: tuple[Layer, ...] = ("raw", "identity", "marts")
Severity = Literal["critical", "warning"]


@dataclass
class ExpectationOutcome:
    """One expectation of one suite, judged once.

    ``observed_value`` is the measured figure the limit applies to (a count, a share, an age in hours,
    ...); ``description`` says in plain words what was found, for a data steward; ``examples`` are a few
    failing records (column -> value) when the expectation failed.
    """

    run_id: str
    layer: Layer
    suite: str
    expectation: str
    kind: str
    table: str
    column: str | None
    severity: Severity
    success: bool
    observed_value: float | None
    unexpected_count: int | None
    element_count: int | None
    threshold: str
    rule: str
    description: str
    examples: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    docs_path: str | None = None
    checked_at: datetime | None = None
    config_version: int | None = None
    #: raw checks (quality/scope.py): the loads measured, ``loads_after`` exclusive (None: from the first),
    #: ``loads_through`` inclusive; a passing result lets the next run start after ``loads_through``
    loads_after: str | None = None
    loads_through: str | None = None

    @property
    def is_blocking(self) -> bool:
        """A failed critical expectation blocks publication."""
        return self.severity == "critical" and not self.success

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PublicationResult:
    """What `publish` did: published, or refused with the reasons; the last good publication stays."""

    run_id: str
    published: bool
    reason: str
    published_path: Path
    parquet_dir: Path
    parquet_version: Path | None = None
    row_counts: dict[str, int] = field(default_factory=dict)
    blocking: list[ExpectationOutcome] = field(default_factory=list)
    published_at: datetime | None = None
    #: the marts whose content changed and were written; the others were kept from the previous publication
    rewritten: list[str] = field(default_factory=list)
