"""The seed behind the sample-ratio-mismatch flag (seeds/chi_square_critical_values.csv) is scipy's."""

import csv

import pytest
from scipy import stats

from outcomelens.core import paths


def test_chi_square_critical_values_are_scipys():
    with open(paths.PROJECT_ROOT / "seeds" / "chi_square_critical_values.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["degrees_of_freedom"]) for r in rows] == list(range(1, 21))
    for r in rows:
        assert float(r["critical_value"]) == pytest.approx(
            stats.chi2.isf(float(r["alpha"]), int(r["degrees_of_freedom"])), rel=1e-9
        )
        # above the critical value is exactly p < alpha
        assert stats.chi2.sf(float(r["critical_value"]) * 1.0001, int(r["degrees_of_freedom"])) < float(r["alpha"])
