"""The data-quality suites: which expectations hold for which warehouse table.

Plain data built from Great Expectations 1.x expectation classes; `expectations.runner` turns each
suite into data source → table asset → batch definition → suite → validation definition → checkpoint.
Raw suites guard what dlt lands (schema, nulls, ranges, freshness of the last load, row-count drop);
mart suites guard what dbt builds (grain, ranges, referential links, attribution rules).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import great_expectations as gx

from outcomelens.contract import LATENCY_EDGES_MS, RAW_TABLES

E = gx.expectations

# How stale the last successful dlt load may get, and how far a day's row count may fall against
# the day before, before a check fails. Read by the suites below; change them here.
FRESHNESS_MAX_AGE_HOURS = 36
MAX_DAILY_ROW_DROP = 0.5


@dataclass(frozen=True)
class Suite:
    """Expectations on one table; `asset_key` is the Dagster asset the check is attached to."""

    name: str
    schema: str
    table: str
    asset_key: tuple[str, ...]
    expectations: list = field(default_factory=list)
    description: str = ""


def _contracted_columns(table: str, *names: str) -> list:
    """schema: these contracted columns exist (extra columns are allowed: dlt evolves raw tables).

    Each name must be a column of the contract (a KeyError on import otherwise)."""
    return [E.ExpectColumnToExist(column=RAW_TABLES[table].column(name).name) for name in names]


def _not_null(*names: str) -> list:
    return [E.ExpectColumnValuesToNotBeNull(column=name) for name in names]


def _contracted_values(table: str, column: str) -> E.ExpectColumnValuesToBeInSet:
    """The column holds only the values the contract lists for it."""
    return E.ExpectColumnValuesToBeInSet(column=column, value_set=list(RAW_TABLES[table].column(column).values))


def _daily_drop(timestamp_column: str) -> E.UnexpectedRowsExpectation:
    """The latest complete day has at least (1 − MAX_DAILY_ROW_DROP) × the rows of the day before.

    The latest calendar day is still filling up, so the comparison is the two days before it.
    """
    return E.UnexpectedRowsExpectation(
        description=f"row count of a day does not drop more than {MAX_DAILY_ROW_DROP:.0%} against the day before",
        unexpected_rows_query=f"""
            with daily as (
                select cast({timestamp_column} at time zone 'UTC' as date) as day, count(*) as n_rows
                from {{batch}} as batch_rows
                group by 1
            ),
            ranked as (
                select day, n_rows, row_number() over (order by day desc) as age from daily
            )
            select latest.day, latest.n_rows, previous.n_rows as previous_rows
            from ranked as latest
            join ranked as previous on previous.age = latest.age + 1
            where latest.age = 2
                and latest.n_rows < (1 - {MAX_DAILY_ROW_DROP}) * previous.n_rows
        """,
    )


def _load_freshness() -> E.UnexpectedRowsExpectation:
    """dlt's own load log: the last completed load is younger than FRESHNESS_MAX_AGE_HOURS."""
    return E.UnexpectedRowsExpectation(
        description=f"the last dlt load completed within {FRESHNESS_MAX_AGE_HOURS} hours",
        unexpected_rows_query=f"""
            select max(loads.inserted_at) as last_load
            from raw._dlt_loads as loads
            where loads.status = 0
                and exists (select 1 from {{batch}})
            having max(inserted_at) is null
                or max(inserted_at) < now() - interval '{FRESHNESS_MAX_AGE_HOURS} hours'
        """,
    )


def _orphans(column: str, parent: str, parent_column: str) -> E.UnexpectedRowsExpectation:
    return E.UnexpectedRowsExpectation(
        description=f"every {column} exists in {parent}.{parent_column}",
        unexpected_rows_query=f"""
            select child.{column}
            from {{batch}} as child
            left join {parent} as parent on child.{column} = parent.{parent_column}
            where child.{column} is not null and parent.{parent_column} is null
        """,
    )


RAW_SUITES = [
    Suite(
        name="raw_llm_calls",
        schema="raw",
        table="llm_calls",
        asset_key=("dlt", "landing", "llm_calls"),
        description="LLM calls as landed: contracted columns, keys, sane measures, fresh loads.",
        expectations=[
            *_contracted_columns("llm_calls", "event_id", "occurred_at", "conversation_id", "experiment_id",
                                 "variant", "prompt_version", "config_hash", "llm_provider", "llm_model", "intent",
                                 "capability", "action", "latency_ms", "input_tokens", "output_tokens", "cost_usd",
                                 "status"),
            # beyond what intake requires: its status was defaulted
            *_not_null(*RAW_TABLES["llm_calls"].required, "status"),
            E.ExpectColumnValuesToBeUnique(column="event_id"),
            E.ExpectColumnValuesToBeBetween(column="latency_ms", min_value=0, max_value=600_000),
            E.ExpectColumnValuesToBeBetween(column="input_tokens", min_value=0),
            E.ExpectColumnValuesToBeBetween(column="output_tokens", min_value=0),
            E.ExpectColumnValuesToBeBetween(column="cost_usd", min_value=0, max_value=100),
            _contracted_values("llm_calls", "status"),
            E.ExpectColumnValuesToMatchRegex(column="config_hash", regex="^[0-9a-f]{12}$", mostly=0.99),
            E.ExpectTableRowCountToBeBetween(min_value=1),
            _daily_drop("occurred_at"),
            _load_freshness(),
        ],
    ),
    Suite(
        name="raw_conversation_events",
        schema="raw",
        table="conversation_events",
        asset_key=("dlt", "landing", "conversation_events"),
        description="Conversation lifecycle events as landed.",
        expectations=[
            *_contracted_columns("conversation_events", *RAW_TABLES["conversation_events"].column_names),
            *_not_null(*RAW_TABLES["conversation_events"].required),
            E.ExpectColumnValuesToBeUnique(column="event_id"),
            _contracted_values("conversation_events", "kind"),
            E.ExpectTableRowCountToBeBetween(min_value=1),
            _daily_drop("occurred_at"),
        ],
    ),
    Suite(
        name="raw_feedback",
        schema="raw",
        table="feedback",
        asset_key=("dlt", "landing", "feedback"),
        description="Feedback as landed: kinds and value ranges.",
        expectations=[
            *_contracted_columns("feedback", "event_id", "occurred_at", "conversation_id", "trace_id", "kind", "value"),
            *_not_null(*RAW_TABLES["feedback"].required),
            E.ExpectColumnValuesToBeUnique(column="event_id"),
            _contracted_values("feedback", "kind"),
            E.ExpectColumnValuesToBeBetween(column="value", min_value=0, max_value=5),
        ],
    ),
    Suite(
        name="raw_hubspot_deals",
        schema="raw",
        table="hubspot_deals",
        asset_key=("dlt", "landing", "hubspot_deals"),
        description="HubSpot deals as landed: stages, amounts, close dates of won deals.",
        expectations=[
            *_contracted_columns("hubspot_deals", "id", "amount", "dealstage", "closedate", "hs_lastmodifieddate"),
            *_not_null(*RAW_TABLES["hubspot_deals"].primary_key, "dealstage"),
            E.ExpectColumnValuesToBeUnique(column="id"),
            E.ExpectColumnValuesToBeBetween(column="amount", min_value=0),
            E.UnexpectedRowsExpectation(
                description="every closedwon deal has a closedate",
                unexpected_rows_query="select id from {batch} where lower(trim(dealstage)) = 'closedwon' and closedate is null",
            ),
        ],
    ),
    Suite(
        name="raw_hubspot_deal_contact_associations",
        schema="raw",
        table="hubspot_deal_contact_associations",
        asset_key=("dlt", "landing", "hubspot_deal_contact_associations"),
        description="Deal ↔ contact associations point at landed deals and contacts.",
        expectations=[
            *_not_null(*RAW_TABLES["hubspot_deal_contact_associations"].primary_key),
            E.ExpectCompoundColumnsToBeUnique(column_list=list(RAW_TABLES["hubspot_deal_contact_associations"].primary_key)),
            _orphans("deal_id", "raw.hubspot_deals", "id"),
            _orphans("contact_id", "raw.hubspot_contacts", "id"),
        ],
    ),
]

MART_SUITES = [
    Suite(
        name="marts_fct_conversations",
        schema="marts",
        table="fct_conversations",
        asset_key=("marts", "fct_conversations"),
        description="One row per conversation; outcomes consistent; deals credited once.",
        expectations=[
            *_not_null("conversation_id", "started_at", "date_day", "converted", "resolved", "escalated"),
            E.ExpectColumnValuesToBeUnique(column="conversation_id"),
            E.ExpectColumnValuesToBeUnique(column="deal_id"),
            E.ExpectColumnValuesToBeBetween(column="order_value_usd", min_value=0),
            E.ExpectColumnValuesToBeBetween(column="csat", min_value=1, max_value=5),
            E.ExpectColumnValuesToBeBetween(column="resolution_time_s", min_value=0),
            E.UnexpectedRowsExpectation(
                description="converted exactly when a deal is credited, and a credited deal has a contact",
                unexpected_rows_query="""
                    select conversation_id from {batch}
                    where converted <> (deal_id is not null) or (deal_id is not null and contact_id is null)
                """,
            ),
            _orphans("deal_id", "staging.stg_hubspot__deals", "deal_id"),
            _daily_drop("started_at"),
        ],
    ),
    Suite(
        name="marts_fct_attribution_daily",
        schema="marts",
        table="fct_attribution_daily",
        asset_key=("marts", "fct_attribution_daily"),
        description="Additive parts: non-negative, conversions within conversations, totals reconcile.",
        expectations=[
            *_not_null("date_day", "conversations", "conversions", "order_value_sum", "llm_calls"),
            E.ExpectColumnValuesToBeBetween(column="conversations", min_value=1),
            E.ExpectColumnValuesToBeBetween(column="cost_usd", min_value=0),
            E.UnexpectedRowsExpectation(
                description="conversions ≤ conversations and latency histogram ≤ calls",
                unexpected_rows_query=f"""
                    select date_day from {{batch}}
                    where conversions > conversations or latency_le_{LATENCY_EDGES_MS[-1]} > llm_calls
                        or deflected > resolved
                """,
            ),
            E.UnexpectedRowsExpectation(
                description="conversations and conversions add up to fct_conversations",
                unexpected_rows_query="""
                    select daily.n, fct.n
                    from (select sum(conversations) as n, sum(conversions) as c from {batch} as batch_rows) as daily
                    cross join (select count(*) as n, sum(case when converted then 1 else 0 end) as c
                                from marts.fct_conversations) as fct
                    where daily.n <> fct.n or daily.c <> fct.c
                """,
            ),
        ],
    ),
    Suite(
        name="marts_fct_llm_calls",
        schema="marts",
        table="fct_llm_calls",
        asset_key=("marts", "fct_llm_calls"),
        description="One row per call, linked to its conversation, with sane latency and cost.",
        expectations=[
            *_not_null("event_id", "occurred_at", "conversation_id", "is_error", "cost_from_price_table"),
            E.ExpectColumnValuesToBeUnique(column="event_id"),
            E.ExpectColumnValuesToBeBetween(column="latency_ms", min_value=0, max_value=600_000),
            E.ExpectColumnValuesToBeBetween(column="cost_usd", min_value=0, max_value=100),
            _orphans("conversation_id", "marts.fct_conversations", "conversation_id"),
        ],
    ),
    Suite(
        name="marts_fct_experiment_comparison",
        schema="marts",
        table="fct_experiment_comparison",
        asset_key=("marts", "fct_experiment_comparison"),
        description="Intervals contain their difference; methods are known.",
        expectations=[
            *_not_null("experiment_id", "metric_name", "variant", "method", "significant", "underpowered"),
            E.ExpectColumnValuesToBeInSet(column="method", value_set=["newcombe_wilson", "welch"]),
            E.UnexpectedRowsExpectation(
                description="ci_low ≤ difference ≤ ci_high",
                unexpected_rows_query="""
                    select experiment_id, metric_name from {batch}
                    where ci_low > difference or ci_high < difference
                """,
            ),
        ],
    ),
]

SUITES = RAW_SUITES + MART_SUITES
