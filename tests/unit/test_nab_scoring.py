import importlib.util
import math

import numpy as np
import pytest

from outcomelens.core import paths

_spec = importlib.util.spec_from_file_location("nab_benchmark", paths.PROJECT_ROOT / "benchmarks" / "nab_benchmark.py")
nab = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nab)


def test_nab_standard_profile_by_hand():
    det = np.zeros(100, bool)
    det[[5, 22, 26, 50]] = True  # 5: probation (first 15 rows); 26: second hit in the window, ignored
    got = nab.nab_score(det, [(20, 29)])
    tp = 2 / (1 + math.exp(5 * -0.8)) - 1  # position −(29 − 22 + 1) / 10
    fp = 0.11 * (2 / (1 + math.exp(5 * (50 - 29) / 9)) - 1)
    assert got == {"score": pytest.approx(tp + fp), "tp": 1, "fp": 1, "fn": 0}
    assert nab.nab_score(np.zeros(100, bool), [(20, 29), (50, 59)])["score"] == -2.0
    assert nab.scaled_sigmoid(3.5) == -1.0


def test_cooldown_keeps_one_detection_per_span():
    values = np.r_[np.tile([10.0, 11.0], 50), [100.0, 100.0, 100.0], np.tile([10.0, 11.0], 20)]
    det = nab.robust_zscore_detections(values, window=20, threshold=6, cooldown=10)
    assert np.flatnonzero(det).tolist() == [100]
