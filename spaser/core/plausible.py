"""The dates a delivery may plausibly hold, for the loader (a row outside is quarantined) and the
marts' checks alike: applied at load time, a row the gates would refuse never reaches them, so one
row cannot keep failing every later night (raw rows are never modified)."""

from __future__ import annotations

from datetime import date, timedelta

# Dates before 2000 in these sources are typing errors (e.g. 0202 for 2022), not history.
PLAUSIBLE_FIRST_DATE = date(2000, 1, 1)


def latest_plausible_date() -> date:
    # Tomorrow: the night runs after midnight Paris time on a server that may count in UTC.
    return date.today() + timedelta(days=1)


def plausible(day: date | None) -> date | None:
    """The date when it lies between PLAUSIBLE_FIRST_DATE and tomorrow, else None."""
    return day if day is not None and PLAUSIBLE_FIRST_DATE <= day <= latest_plausible_date() else None


PLAUSIBLE_RANGE_TEXT = "entre le 01/01/2000 et demain"
