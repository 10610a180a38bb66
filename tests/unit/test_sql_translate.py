"""SQL → Cube query translation (sql_endpoint/translate.py), without servers: each statement against
the Cube query a person would write for it by hand, and the SQL semantics Cube's operators lack
(NULLs under <>, inclusive date ranges, strict bounds) kept."""

from __future__ import annotations

import pytest
import sqlglot

from sql_endpoint.model import Column, View
from sql_endpoint.translate import MAX_ROWS, translate

TIME = "timestamp without time zone"
VIEW = View(
    "experiments",
    columns={
        "variant": Column("variant", "experiments.variant", False, "text"),
        "n_arms": Column("n_arms", "experiments.n_arms", False, "double precision"),
        "date_day": Column("date_day", "experiments.date_day", False, TIME),
        "conversations": Column("conversations", "experiments.conversations", True, "double precision", "sum"),
        "conversion_rate": Column("conversion_rate", "experiments.conversion_rate", True, "double precision", "number"),
    },
)


def cube_query(sql: str) -> dict:
    return translate(sqlglot.parse_one(sql, read="postgres"), {"experiments": VIEW}).query


def test_measure_by_dimension_ordered_and_limited():
    assert cube_query(
        "select variant, measure(conversion_rate) as rate, sum(conversations) from experiments "
        "group by 1 order by rate desc limit 3 offset 1"
    ) == {
        "measures": ["experiments.conversion_rate", "experiments.conversations"],
        "dimensions": ["experiments.variant"],
        "order": [["experiments.conversion_rate", "desc"]],
        "limit": 3,
        "offset": 1,
    }


def test_week_granularity_and_inclusive_bounds_become_the_date_range():
    assert cube_query(
        "select date_trunc('week', date_day), measure(conversations) from experiments "
        "where date_day >= '2025-03-02' and date_day <= '2025-03-09 12:00' group by 1"
    ) == {
        "measures": ["experiments.conversations"],
        "timeDimensions": [
            {
                "dimension": "experiments.date_day",
                "granularity": "week",
                "dateRange": ["2025-03-02T00:00:00.000", "2025-03-09T12:00:00.000"],
            }
        ],
        "limit": MAX_ROWS,
    }


def test_strict_bounds_stay_strict_and_not_equals_drops_nulls():
    query = cube_query(
        "select measure(conversations) from experiments "
        "where date_day < '2025-03-10' and variant <> 'control' and n_arms > 1"
    )
    assert query["filters"] == [
        {
            "and": [
                {"member": "experiments.date_day", "operator": "beforeDate", "values": ["2025-03-10T00:00:00.000"]},
                {
                    "and": [
                        {"member": "experiments.variant", "operator": "notEquals", "values": ["control"]},
                        {"member": "experiments.variant", "operator": "set"},
                    ]
                },
                {"member": "experiments.n_arms", "operator": "gt", "values": ["1"]},
            ]
        }
    ]


def test_or_in_is_null_ilike_and_having():
    query = cube_query(
        "select variant, measure(conversations) from experiments "
        "where variant in ('a', 'b') or variant is null or variant ilike 'tre%' "
        "group by variant having measure(conversations) >= 10"
    )
    assert query["filters"] == [
        {
            "or": [
                {"member": "experiments.variant", "operator": "equals", "values": ["a", "b"]},
                {"member": "experiments.variant", "operator": "notSet"},
                {"member": "experiments.variant", "operator": "startsWith", "values": ["tre"]},
            ]
        },
        {"member": "experiments.conversations", "operator": "gte", "values": ["10"]},
    ]


@pytest.mark.parametrize(
    "sql, sqlstate, named",
    [
        ("select variant, measure(conversations) from experiments", "42803", '"variant"'),
        ("select conversations from experiments", "42803", "MEASURE(conversations)"),
        ("select avg(conversations) from experiments", "0A000", "AVG(conversations)"),
        ("select sum(conversion_rate) from experiments", "0A000", "type number"),
        ("select measure(conversations) from experiments where variant like '%x%'", "0A000", "ILIKE"),
        ("select measure(conversations) from experiments where conversations > 3", "42803", "HAVING"),
        ("select measure(conversations) from experiments e, experiments f", "0A000", "JOIN"),
        ("with t as (select 1) select measure(conversations) from experiments", "0A000", "WITH"),
        ("select measure(conversations), rank() over () from experiments", "0A000", "window"),
        ("update experiments set variant = 'x'", "0A000", "UPDATE"),
    ],
)
def test_untranslatable_sql_is_refused_naming_it(sql, sqlstate, named):
    with pytest.raises(Exception) as refused:
        cube_query(sql)
    assert getattr(refused.value, "sqlstate", None) == sqlstate and named in str(refused.value), str(refused.value)
