"""`outcomelens ingest csv FILE`: good rows land in raw.outcome_metrics now, bad rows are reported by
line and column, kept in raw.dead_letters, and make the command exit non-zero."""

from __future__ import annotations

from tests.integration.support import query


def test_csv_cli_loads_good_rows_and_reports_bad_ones(cli, warehouse_db, tmp_path):
    csv_file = tmp_path / "metrics.csv"
    csv_file.write_text(
        "experiment_id,metric_name,metric_value,timestamp,intent,capability,action,llm_model,user_id,channel\n"
        "exp_a,csat,4.5,2026-03-03T09:00:00Z,support,answer,reply,claude-3-5-haiku,u7,web\n"
        "exp_a,csat,,2026-03-03T09:05:00Z,support,answer,reply,claude-3-5-haiku,u8,web\n"
    )
    result = cli("ingest", "csv", str(csv_file), check=False, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "line 3, column metric_value" in result.stdout
    assert "1 rows accepted, 1 rejected" in result.stdout
    assert query(warehouse_db, "select experiment_id, metric_value, user_id, channel, source from raw.outcome_metrics") == [
        ("exp_a", 4.5, "u7", "web", "csv")]
    assert query(warehouse_db, "select record_index, field from raw.dead_letters") == [(3, "metric_value")]
