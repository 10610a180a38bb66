"""analytics/config/reports.yaml as read by the scheduled-report job: a wrong entry fails on load
with the file and the field named, and a report's repr never shows its webhook's path."""

from __future__ import annotations

import pytest

from analytics.config import ConfigError
from analytics.report_delivery import DEFAULT_CRON, load_reports

GOOD = {
    "name": "weekly",
    "view": "/overview?range=7D&intent=buy",
    "role": "product_manager",
    "url": "https://hooks.example.com/secret-path",
    "secret_env": "REPORT_SECRET",
}


def write(tmp_path, *entries: dict):
    path = tmp_path / "reports.yaml"
    lines = ["reports:"]
    for entry in entries:
        lines += [f"  - {k}: '{v}'" if i == 0 else f"    {k}: '{v}'" for i, (k, v) in enumerate(entry.items())]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_shipped_file_lists_no_report():
    assert load_reports() == []


def test_a_report_names_its_page_filters_and_weekly_default(tmp_path):
    [report] = load_reports(write(tmp_path, GOOD))
    assert (report.page, report.query, report.cron) == ("overview", "range=7D&intent=buy", DEFAULT_CRON)
    assert "secret-path" not in repr(report)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"role": "intern"}, "reports[0].role"),
        ({"url": "ftp://hooks.example.com/x"}, "reports[0].url"),
        ({"view": "overview"}, "reports[0].view"),
        ({"secret": "in-clear"}, "reports[0].secret"),
        ({"secret_env": ""}, "reports[0].secret_env"),
    ],
)
def test_a_wrong_entry_names_its_field(tmp_path, change, field):
    with pytest.raises(ConfigError, match=field.replace("[", r"\[").replace("]", r"\]")):
        load_reports(write(tmp_path, {**GOOD, **change}))


def test_report_names_are_unique(tmp_path):
    with pytest.raises(ConfigError, match="unique"):
        load_reports(write(tmp_path, GOOD, GOOD))
