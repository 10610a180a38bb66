"""Saved-view links and report due times, checked against hand-written cases: what a saved view may
link to (a dashboard page, never another site or a non-page route) and when a schedule is due."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from accounts.report_schedules import Schedule, due_time, latest_due, next_due
from accounts.saved_views import DASHBOARD_PAGES, MAX_HREF, SavedViewError, check_href, check_name
from dashboard.app import PAGE_MODULES

UTC = timezone.utc
NOW = datetime(2026, 12, 2, 10, 30, tzinfo=UTC)  # a Wednesday (weekday 2)


def test_the_accounts_service_knows_the_dashboards_pages():
    assert set(DASHBOARD_PAGES) == set(PAGE_MODULES)


@pytest.mark.parametrize(
    "href",
    [
        "/overview",
        "/overview?range=7D&intent=buy,browse",
        "/experiments?range=custom&from=2025-03-01&to=2025-03-12",
        "/drilldown?range=1M&kpi=conversion_rate&conv=c-00012",
        "/prompts/?version=sales_agent.v2%20beta",
    ],
)
def test_dashboard_links_are_accepted(href):
    assert check_href(href) == href


@pytest.mark.parametrize(
    "href, why",
    [
        ("https://evil.example/overview", "relative dashboard path"),
        ("//evil.example/overview", "relative dashboard path"),
        ("/\\evil.example", "relative dashboard path"),
        ("javascript:alert(1)", "relative dashboard path"),
        ("overview?range=7D", "relative dashboard path"),
        ("/signout", "one of the dashboard's pages"),
        ("/export/pdf/overview?range=7D", "one of the dashboard's pages"),
        ("/overview/../signout", "one of the dashboard's pages"),
        ("/overview?range=7D#frag", "query string only"),
        ('/overview?intent="><script>', "percent-encode"),
        ("/overview?intent=a b", "percent-encode"),
        ("/overview?x=" + "a" * MAX_HREF, f"at most {MAX_HREF}"),
        ("", "required"),
    ],
)
def test_other_links_are_refused_naming_the_href(href, why):
    with pytest.raises(SavedViewError) as refused:
        check_href(href)
    assert refused.value.field == "href" and refused.value.status == 422 and why in str(refused.value)


@pytest.mark.parametrize("name", ["", "   ", "-starts with a dash", "x" * 101, "tab\there", "<b>bold</b>"])
def test_bad_names_are_refused_naming_the_name(name):
    with pytest.raises(SavedViewError) as refused:
        check_name(name)
    assert refused.value.field == "name"


@pytest.mark.parametrize(
    "frequency, weekday, hour, expected",
    [
        ("daily", None, 10, datetime(2026, 12, 2, 10, tzinfo=UTC)),  # today, half an hour ago
        ("daily", None, 11, datetime(2026, 12, 1, 11, tzinfo=UTC)),  # not yet today: yesterday's
        ("weekly", 2, 10, datetime(2026, 12, 2, 10, tzinfo=UTC)),  # Wednesday 10:00: today
        ("weekly", 2, 11, datetime(2026, 11, 25, 11, tzinfo=UTC)),  # Wednesday 11:00: a week ago
        ("weekly", 0, 7, datetime(2026, 11, 30, 7, tzinfo=UTC)),  # Monday 07:00: two days ago
        ("weekly", 4, 0, datetime(2026, 11, 27, 0, tzinfo=UTC)),  # Friday midnight: last Friday
    ],
)
def test_latest_due_time(frequency, weekday, hour, expected):
    assert latest_due(frequency, weekday, hour, NOW) == expected


def _schedule(created_at, last_due_at=None, frequency="daily", weekday=None, hour=10) -> Schedule:
    return Schedule(
        1,
        1,
        "v",
        "/overview",
        "u",
        "product_manager",
        frequency,
        weekday,
        hour,
        "slack",
        "C0123456",
        created_at,
        last_due_at,
        None,
        None,
    )


def test_due_only_after_creation_and_once_per_due_time():
    today_10 = datetime(2026, 12, 2, 10, tzinfo=UTC)
    # Made at 10:15 for 10:00 daily: the first report is tomorrow's.
    assert due_time(_schedule(today_10 + timedelta(minutes=15)), NOW) is None
    assert next_due(_schedule(today_10 + timedelta(minutes=15)), NOW) == today_10 + timedelta(days=1)
    # Made yesterday: today's 10:00 is due, until a run records it.
    made = today_10 - timedelta(days=1, hours=3)
    assert due_time(_schedule(made), NOW) == today_10
    assert due_time(_schedule(made, last_due_at=today_10), NOW) is None
    # Down for a week: only the latest due time is sent.
    assert due_time(_schedule(made - timedelta(days=7), last_due_at=today_10 - timedelta(days=7)), NOW) == today_10
