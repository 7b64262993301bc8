"""Plain English for the steward report: counts, shares and ages as a data steward reads them."""

from __future__ import annotations

import math
from typing import Any


def n(value: Any) -> str:
    if value is None:
        return "an unknown number of"
    return f"{int(value):,}"


def a(word: str) -> str:
    """`a phone number`, `an email address`."""
    return ("an " if word[:1].lower() in "aeio" else "a ") + word


def have(count: Any, noun: str) -> str:
    """`12 customers have` / `1 of the customers has`: plain English without a singular for every noun."""
    return f"1 of the {noun} has" if count == 1 else f"{n(count)} {noun} have"


def customers(count: Any) -> str:
    return "1 customer" if count == 1 else f"{n(count)} customers"


def pct(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "unknown"
    return f"{value * 100:.{digits}f}%"


def num(value: Any) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def age(hours: float) -> str:
    """An age in the unit a reader thinks in: days from two days on, else hours (``30 days``, ``31.2 days``,
    ``5.5 hours``). Limits and measurements go through the same function, so they share their unit."""
    value, unit = (hours / 24, "days") if hours >= 48 else (hours, "hours")
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return f"{text} {unit}" if text != "1" else f"1 {unit[:-1]}"
