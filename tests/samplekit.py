"""The one way the tests get sample systems (importable from every test folder: pytest's pythonpath).

:func:`generate_sample` writes one, :func:`sample_sources` serves it and points the sources at it. A generated
sample with a fixed reference date: the generator's time window otherwise ends on the day it runs,
and the tests assert exact counts and checksums that must not change with the calendar. The date lies in the
past, so increments never produce timestamps the loaders would call "in the future".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest

#: The reference date (end of batch 0) of every sample the tests generate.
REFERENCE_DATE = date(2026, 11, 1)


def generate_sample(out: Path, customers: int, seed: int, messiness: float = 1.0, increment: bool = False) -> dict:
    """``samples.generator.generate`` at :data:`REFERENCE_DATE` (an increment continues the folder's date)."""
    from samples.generator import generate

    return generate(out=Path(out), customers=customers, seed=seed, messiness=messiness, increment=increment,
                    reference_date=REFERENCE_DATE)


@contextmanager
def sample_sources(sample_dir: Path, monkeypatch: pytest.MonkeyPatch | None = None, **server_kwargs: Any) -> Iterator[Any]:
    """``samples.environment.serve_sample``: the sample's Zendesk API served, every source pointed at the sample.

    With ``monkeypatch`` the settings go through it, so a test that changes one of them afterwards is undone
    in the right order; ``server_kwargs`` (``api_token``, ``rate_limit``, ...) go to the server.
    """
    from samples.environment import serve_sample

    with serve_sample(sample_dir, env=monkeypatch, **server_kwargs) as served:
        yield served
