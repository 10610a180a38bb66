"""The demo's period and its calendars: which days it covers, how traffic and conversion vary by day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

from ingestion.demo import world as W

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MINUTE_MS = 60_000


def epoch_ms(d: date) -> int:
    """Midnight UTC of the day, in epoch milliseconds."""
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp() * 1000)


@dataclass(frozen=True)
class Period:
    """[start_date, end_date): `days` whole UTC days, end_date excluded."""

    days: int
    start_date: date
    end_date: date  # exclusive
    start_ms: int
    end_ms: int

    @classmethod
    def ending(cls, end_date: date, days: int) -> Period:
        start_date = end_date - timedelta(days=days)
        return cls(days, start_date, end_date, epoch_ms(start_date), epoch_ms(end_date))

    @property
    def last_ms(self) -> int:
        """The latest time a closedate or a modification date may take (a second before the end)."""
        return self.end_ms - 1000

    def day_index(self, t_ms: np.ndarray) -> np.ndarray:
        return (t_ms - self.start_ms) // DAY_MS

    def day_label(self, day_index: int) -> str:
        return (self.start_date + timedelta(days=int(day_index))).isoformat()


def traffic_day_weights(start_date: date, days: int) -> np.ndarray:
    """Relative traffic of each day (mean 1): the slow trend times the weekly pattern."""
    d = np.arange(days)
    weekday = (start_date.weekday() + d) % 7
    w = (1.0 + W.TREND_GROWTH * d / max(days - 1, 1)) * np.asarray(W.WEEKDAY_FACTOR)[weekday]
    return w / w.mean()


def conversion_calendar(start_date: date, days: int) -> np.ndarray:
    """Relative conversion factor of each day: weekly pattern times the slow trend."""
    d = np.arange(days)
    weekday = (start_date.weekday() + d) % 7
    trend = np.exp(W.CONVERSION_GROWTH_PER_DAY * (d - (days - 1) / 2))
    return trend * np.asarray(W.CONVERSION_WEEKDAY_FACTOR)[weekday]


def bad_release_days(days: int) -> tuple[int, int]:
    """[first, last] day index (inclusive) of the bad release."""
    last = days - W.BAD_RELEASE["ends_days_before_end"]  # end_date is exclusive: its index is `days`
    first = last - W.BAD_RELEASE["days"] + 1
    return first, last
