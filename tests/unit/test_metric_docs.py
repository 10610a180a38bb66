"""The dbt metric docs repeat semantic_layer/metrics.js verbatim, and cover docs/design.md §4."""

import shutil

import pytest

from outcomelens.cli import metric_docs

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


def test_committed_metric_docs_match_metrics_js():
    expected = metric_docs.render(metric_docs.read_catalogue())
    assert metric_docs.METRICS_MD.read_text() == expected, (
        "dbt_project/models/metrics.md is out of date with semantic_layer/metrics.js: run `outcomelens docs --no-serve`"
    )


def test_every_design_metric_has_a_docs_block():
    design = ["conversion_rate", "average_order_value", "revenue_per_conversation", "resolution_time",
              "deflection_rate", "escalation_rate", "thumbs_up_rate", "average_rating", "csat", "llm_latency",
              "time_to_first_token", "error_rate", "tokens", "cost", "cost_per_conversion"]
    text = metric_docs.METRICS_MD.read_text()
    for name in design:
        assert f"{{% docs metric_{name} %}}" in text, name


def test_unknown_measure_is_a_clear_error():
    catalogue = metric_docs.read_catalogue()
    del catalogue["measures"]["conversion_rate"]
    with pytest.raises(KeyError, match="conversion_rate"):
        metric_docs.render(catalogue)
