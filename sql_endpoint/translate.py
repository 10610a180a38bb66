"""SQL over one view → one Cube /v1/load query, in the dialect of Cube's own SQL API.

Each view is a table; its dimensions are columns and its measures are read through `MEASURE(col)`,
or through the aggregate that is the measure's own (`SUM` over a sum measure, `COUNT` over a count…).
`WHERE` becomes filters, `HAVING` measure filters, `GROUP BY` the dimensions,
`date_trunc('week', col)` a time dimension's granularity; `ORDER BY`, `LIMIT` and `OFFSET` pass through.
Whatever would need computing outside the semantic layer (joins, subqueries, expressions over
measures, row-level reads) is refused naming the construct: the answer is Cube's or none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlglot import exp

from sql_endpoint.errors import GROUPING_ERROR, INVALID_PARAMETER_VALUE, SqlError, unsupported
from sql_endpoint.model import Column, View

# Cube 0.33 refuses a limit over its maximum (CUBEJS_DB_QUERY_LIMIT, 50 000 by default).
MAX_ROWS = 50_000
GRANULARITIES = ("second", "minute", "hour", "day", "week", "month", "quarter", "year")
AGGREGATES = {exp.Sum: "sum", exp.Count: "count", exp.Avg: "avg", exp.Min: "min", exp.Max: "max"}
# Bounds for one-sided time comparisons, which Cube 0.33 only has as inDateRange.
EARLIEST, LATEST = "0001-01-01T00:00:00.000", "9999-12-31T23:59:59.999"


@dataclass(frozen=True)
class OutputColumn:
    name: str  # as the client sees it
    key: str  # the key of Cube's row
    pg_type: str


@dataclass
class Translation:
    view: str
    query: dict
    columns: list[OutputColumn]
    limit_given: bool  # without a LIMIT, a full page of MAX_ROWS rows means the answer was cut


@dataclass(frozen=True)
class Item:
    """One select-list (or GROUP BY / ORDER BY) expression, resolved to a member of the view."""

    kind: str  # "dimension", "time" (a dimension at a granularity) or "measure"
    member: str
    column: Column | None
    granularity: str | None = None

    @property
    def key(self) -> str:
        return f"{self.member}.{self.granularity}" if self.granularity else self.member

    @property
    def pg_type(self) -> str:
        if self.kind == "time":
            return "timestamp without time zone"
        if self.column is not None:
            return self.column.pg_type
        return "double precision" if self.kind == "measure" else "text"


@dataclass
class _Scope:
    view: View
    qualifiers: set[str]
    aliases: dict[str, Item] = field(default_factory=dict)
    selected: list[Item] = field(default_factory=list)


# --- the statement as a whole ------------------------------------------------------------------


def semantic_tables(statement: exp.Expression) -> list[exp.Table]:
    """The tables a statement reads that are not Postgres's own catalog (nor a CTE of the statement)."""
    ctes = {cte.alias_or_name for cte in statement.find_all(exp.CTE)}
    return [
        table
        for table in statement.find_all(exp.Table)
        if isinstance(table.this, exp.Identifier)
        and not is_catalog_table(table)
        and not (not table.db and table.name in ctes)
    ]


def is_catalog_table(table: exp.Table) -> bool:
    schema = table.db.lower()
    if schema:
        return schema in ("pg_catalog", "information_schema")
    return table.name.lower().startswith("pg_")  # pg_catalog is on every search_path, first


def _refuse_shape(statement: exp.Expression) -> exp.Select:
    if isinstance(
        statement,
        (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop, exp.Alter, exp.TruncateTable, exp.Copy),
    ):
        raise unsupported(f"{statement.key.upper()} (a write)", "views of the semantic layer are read-only")
    if isinstance(statement, exp.SetOperation):
        raise unsupported(statement.key.upper(), "send one SELECT per view")
    if not isinstance(statement, exp.Select):
        raise unsupported(f"the statement {statement.sql(dialect='postgres')[:60]!r} over a view")
    if statement.args.get("with_") or statement.args.get("with"):
        raise unsupported("WITH (a common table expression)")
    if statement.args.get("joins"):
        raise unsupported("JOIN across views", "query each view on its own")
    source = statement.args.get("from_") or statement.args.get("from")
    if source is None or not isinstance(source.this, exp.Table):
        raise unsupported("a subquery in FROM")
    for node in statement.find_all(exp.Subquery, exp.Exists):
        raise unsupported("a subquery", node.sql(dialect="postgres")[:60])
    if any(isinstance(node, exp.Select) and node is not statement for node in statement.find_all(exp.Select)):
        raise unsupported("a subquery")
    for window in statement.find_all(exp.Window):
        raise unsupported("a window function", window.sql(dialect="postgres")[:60])
    if statement.args.get("qualify"):
        raise unsupported("QUALIFY")
    if statement.args.get("locks"):
        raise unsupported("FOR UPDATE / FOR SHARE")
    return statement


def translate(statement: exp.Expression, views: dict[str, View]) -> Translation:
    select = _refuse_shape(statement)
    source = (select.args.get("from_") or select.args.get("from")).this
    view = views.get(source.name) or View(source.name)  # unknown to the role: Cube names it in its refusal
    scope = _Scope(view, {source.name, source.alias_or_name})
    for node in select.expressions:
        if isinstance(node, exp.Star) or (isinstance(node, exp.Column) and isinstance(node.this, exp.Star)):
            raise unsupported("SELECT *", "name the dimensions and MEASURE(…) columns")
        item = _resolve(node.unalias() if isinstance(node, exp.Alias) else node, scope, where="the select list")
        scope.selected.append(item)
        if isinstance(node, exp.Alias):
            scope.aliases[node.alias] = item
    groups = _grouping(select, scope)
    query: dict = {"measures": [], "dimensions": [], "timeDimensions": [], "filters": []}
    for item in [*scope.selected, *groups]:
        _add(query, item)
    where = select.args.get("where")
    if where is not None:
        conditions = _date_ranges(where.this, scope, query)
        if conditions:
            query["filters"].append(_filter(exp.and_(*conditions) if len(conditions) > 1 else conditions[0], scope))
    having = select.args.get("having")
    if having is not None:
        query["filters"].extend(_having(having.this, scope))
    query["order"] = _order(select, scope, groups)
    limit, limit_given = _limit(select)
    query["limit"] = limit
    offset = _integer(select.args.get("offset"), "OFFSET")
    if offset:
        query["offset"] = offset
    columns = [
        OutputColumn(_output_name(node), item.key, item.pg_type)
        for node, item in zip(select.expressions, scope.selected)
    ]
    return Translation(view.name, {k: v for k, v in query.items() if v or k == "limit"}, columns, limit_given)


def _add(query: dict, item: Item) -> None:
    if item.kind == "measure":
        target, entry = query["measures"], item.member
    elif item.kind == "time":
        target, entry = query["timeDimensions"], {"dimension": item.member, "granularity": item.granularity}
    else:
        target, entry = query["dimensions"], item.member
    if entry not in target:
        target.append(entry)


def _output_name(node: exp.Expression) -> str:
    """Postgres's name for an output column: its alias, a column's name, else the function's name."""
    if isinstance(node, exp.Alias):
        return node.alias
    if isinstance(node, exp.Column):
        return node.name
    if isinstance(node, exp.Anonymous):
        return node.name.lower()
    if isinstance(node, (exp.TimestampTrunc, exp.DateTrunc)):
        return "date_trunc"
    return node.key.lower()


# --- expressions → members ---------------------------------------------------------------------


def _column(node: exp.Column, scope: _Scope) -> tuple[str, Column | None]:
    if node.table and node.table not in scope.qualifiers:
        raise unsupported(f"the column {node.sql(dialect='postgres')} of another table", "query one view at a time")
    known = scope.view.columns.get(node.name)
    return f"{scope.view.name}.{node.name}", known


def _resolve(node: exp.Expression, scope: _Scope, *, where: str) -> Item:
    if isinstance(node, exp.Paren):
        return _resolve(node.this, scope, where=where)
    if isinstance(node, exp.Column):
        member, known = _column(node, scope)
        if known is not None and known.is_measure:
            raise SqlError(
                GROUPING_ERROR,
                f'measure "{node.name}" must be read through MEASURE({node.name}) '
                f"(or its own aggregate, {_aggregate_hint(known)})",
            )
        return Item("dimension", member, known)
    if isinstance(node, exp.Anonymous) and node.name.lower() == "measure":
        return _measure_argument(node.expressions, scope, "MEASURE")
    for kind, aggregation in AGGREGATES.items():
        if type(node) is kind:
            return _aggregate(node, aggregation, scope)
    if isinstance(node, (exp.TimestampTrunc, exp.DateTrunc)):
        return _truncation(node, scope)
    raise unsupported(
        f"the expression {node.sql(dialect='postgres')[:80]} in {where}",
        "select dimensions, MEASURE(…) or date_trunc('unit', time dimension)",
    )


def _aggregate_hint(column: Column) -> str:
    fitting = [
        name.upper()
        for name, agg in (("sum", "sum"), ("count", "count"), ("avg", "avg"), ("min", "min"), ("max", "max"))
        if agg == column.aggregation
    ]
    return f"{fitting[0]}({column.name})" if fitting else "none: it is a computed measure"


def _measure_argument(arguments: list, scope: _Scope, function: str) -> Item:
    if len(arguments) != 1 or not isinstance(arguments[0], exp.Column):
        raise unsupported(f"{function}() over anything but one measure column")
    member, known = _column(arguments[0], scope)
    if known is not None and not known.is_measure:
        raise unsupported(
            f'{function}() over the dimension "{known.name}"', "only measures are aggregated by the semantic layer"
        )
    return Item("measure", member, known)


def _aggregate(node: exp.Expression, aggregation: str, scope: _Scope) -> Item:
    argument = node.this
    if isinstance(argument, exp.Distinct):
        raise unsupported(f"{aggregation.upper()}(DISTINCT …)", "use a count-distinct measure")
    if isinstance(argument, exp.Star):
        raise unsupported("COUNT(*)", "name the count measure: MEASURE(conversations), say")
    item = _measure_argument([argument], scope, aggregation.upper())
    if item.column is not None and item.column.aggregation != aggregation:
        raise unsupported(
            f"{aggregation.upper()}({item.column.name}) over a measure of type {item.column.aggregation}",
            f"read it as MEASURE({item.column.name})",
        )
    return item


def _truncation(node: exp.Expression, scope: _Scope) -> Item:
    unit = node.args.get("unit")
    granularity = (unit.name if unit is not None else "").lower()
    if granularity not in GRANULARITIES:
        raise unsupported(f"date_trunc to {granularity!r}", f"granularities are {', '.join(GRANULARITIES)}")
    target = node.this
    if not isinstance(target, exp.Column):
        raise unsupported("date_trunc over an expression", "truncate a time dimension")
    member, known = _column(target, scope)
    if known is not None and (known.is_measure or known.pg_type != "timestamp without time zone"):
        raise unsupported(f'date_trunc over "{known.name}", which is not a time dimension')
    return Item("time", member, known, granularity)


def _by_reference(node: exp.Expression, scope: _Scope, clause: str) -> Item:
    """An item of GROUP BY / ORDER BY: a position, an output alias, or an expression."""
    if isinstance(node, exp.Literal) and not node.is_string:
        position = int(node.this)
        if not 1 <= position <= len(scope.selected):
            raise SqlError(INVALID_PARAMETER_VALUE, f"{clause} position {position} is not in the select list")
        return scope.selected[position - 1]
    if isinstance(node, exp.Column) and not node.table and node.name in scope.aliases:
        return scope.aliases[node.name]
    if isinstance(node, exp.Column) and clause == "ORDER BY":
        member, known = _column(node, scope)
        kind = "measure" if known is not None and known.is_measure else "dimension"
        return Item(kind, member, known)
    return _resolve(node, scope, where=clause)


def _grouping(select: exp.Select, scope: _Scope) -> list[Item]:
    """The GROUP BY items, checked as Postgres would: every selected dimension is grouped."""
    group = select.args.get("group")
    items = [_by_reference(node, scope, "GROUP BY") for node in (group.expressions if group else [])]
    for item in items:
        if item.kind == "measure":
            raise SqlError(GROUPING_ERROR, f"aggregate functions are not allowed in GROUP BY ({item.member})")
    grouped = {(i.member, i.granularity) for i in items}
    plain = [i for i in scope.selected if i.kind != "measure"]
    measures = [i for i in scope.selected if i.kind == "measure"]
    if not group and not measures:
        if select.args.get("distinct") and plain:
            return plain  # SELECT DISTINCT dims: exactly Cube's grouping
        raise unsupported(
            "a row-level read (no measure, no GROUP BY)", "group by the dimensions, or select MEASURE(…) columns"
        )
    for item in plain:
        if (item.member, item.granularity) not in grouped:
            name = item.column.name if item.column else item.member.split(".", 1)[1]
            raise SqlError(
                GROUPING_ERROR,
                f'column "{name}" must appear in the GROUP BY clause or be used in an aggregate function',
            )
    hidden = [i for i in items if (i.member, i.granularity) not in {(p.member, p.granularity) for p in plain}]
    if hidden and select.args.get("distinct"):
        raise unsupported("SELECT DISTINCT with GROUP BY columns that are not selected")
    return items


def _order(select: exp.Select, scope: _Scope, groups: list[Item]) -> list[list[str]]:
    order = select.args.get("order")
    if order is None:
        return []
    in_query = {(i.member, i.granularity) for i in [*scope.selected, *groups]}
    entries = []
    for ordered in order.expressions:
        item = _by_reference(ordered.this, scope, "ORDER BY")
        if (item.member, item.granularity) not in in_query:
            raise unsupported(
                f"ORDER BY {ordered.this.sql(dialect='postgres')}, which is not in the query",
                "select it (or group by it) too",
            )
        descending = bool(ordered.args.get("desc"))
        nulls_first = ordered.args.get("nulls_first")
        if nulls_first is not None and bool(nulls_first) != descending:
            raise unsupported("NULLS FIRST/LAST other than Postgres's default for the direction")
        entries.append([item.member, "desc" if descending else "asc"])
    return entries


def _integer(node: exp.Expression | None, clause: str) -> int | None:
    if node is None:
        return None
    value = node.args.get("expression") if isinstance(node, (exp.Limit, exp.Offset)) else node
    if value is None or isinstance(value, exp.Null):
        return None
    try:
        number = int(value.this if isinstance(value, exp.Literal) else value.sql())
    except (TypeError, ValueError):
        raise unsupported(f"{clause} {value.sql(dialect='postgres')}", "give a number") from None
    if number < 0:
        raise SqlError(INVALID_PARAMETER_VALUE, f"{clause} must not be negative")
    return number


def _limit(select: exp.Select) -> tuple[int, bool]:
    limit = _integer(select.args.get("limit"), "LIMIT")
    if limit is None:
        return MAX_ROWS, False
    return min(limit, MAX_ROWS), limit <= MAX_ROWS


# --- WHERE and HAVING → filters ----------------------------------------------------------------


def _literal(node: exp.Expression) -> str | None:
    """A literal's value as Cube's filters take it (a string); None for NULL."""
    if isinstance(node, exp.Paren):
        return _literal(node.this)
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal):
        return node.this.this
    if isinstance(node, exp.Literal):
        return node.this
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        return "-" + node.this.this
    if isinstance(node, exp.Boolean):
        return "true" if node.this else "false"
    if isinstance(node, exp.Null):
        return None
    raise unsupported(f"the value {node.sql(dialect='postgres')[:60]} in a filter", "compare with a constant")


def _timestamp(value: str) -> str:
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace(" ", "T", 1))
    except ValueError:
        raise SqlError(INVALID_PARAMETER_VALUE, f"invalid input syntax for type timestamp: {value!r}") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return parsed.strftime("%Y-%m-%dT%H:%M:%S.") + f"{parsed.microsecond // 1000:03d}"


FLIPPED = {exp.GT: exp.LT, exp.GTE: exp.LTE, exp.LT: exp.GT, exp.LTE: exp.GTE, exp.EQ: exp.EQ, exp.NEQ: exp.NEQ}
NUMBER_OPERATORS = {exp.GT: "gt", exp.GTE: "gte", exp.LT: "lt", exp.LTE: "lte"}


def _dimension_operand(node: exp.Expression, scope: _Scope) -> tuple[str, Column | None]:
    if not isinstance(node, exp.Column):
        raise unsupported(f"a filter on {node.sql(dialect='postgres')[:60]}", "filter on a dimension column")
    if not node.table and node.name in scope.aliases and scope.aliases[node.name].kind != "dimension":
        raise unsupported(f'a WHERE filter on the output column "{node.name}"', "use HAVING for measures")
    member, known = _column(node, scope)
    if known is not None and known.is_measure:
        raise SqlError(GROUPING_ERROR, f'measure "{node.name}" in WHERE: filter measures in HAVING')
    return member, known


def _is_time(known: Column | None) -> bool:
    return known is not None and known.pg_type == "timestamp without time zone"


def _set_and(member: str, condition: dict) -> dict:
    # Cube's negative operators (notEquals, notContains) also keep NULLs; SQL's never do.
    return {"and": [condition, {"member": member, "operator": "set"}]}


def _comparison(node: exp.Expression, scope: _Scope) -> dict:
    left, right, kind = node.this, node.expression, type(node)
    if not isinstance(left, exp.Column) and isinstance(right, exp.Column):
        left, right, kind = right, left, FLIPPED[kind]
    member, known = _dimension_operand(left, scope)
    value = _literal(right)
    if value is None:
        raise unsupported(
            f"{node.sql(dialect='postgres')} (a comparison with NULL is never true)", "use IS NULL / IS NOT NULL"
        )
    if _is_time(known):
        stamp = _timestamp(value)
        if kind is exp.NEQ:
            return _set_and(member, {"member": member, "operator": "notInDateRange", "values": [stamp, stamp]})
        operator, values = {
            exp.EQ: ("inDateRange", [stamp, stamp]),
            exp.GT: ("afterDate", [stamp]),
            exp.LT: ("beforeDate", [stamp]),
            exp.GTE: ("inDateRange", [stamp, LATEST]),
            exp.LTE: ("inDateRange", [EARLIEST, stamp]),
        }[kind]
        return {"member": member, "operator": operator, "values": values}
    if kind is exp.EQ:
        return {"member": member, "operator": "equals", "values": [value]}
    if kind is exp.NEQ:
        return _set_and(member, {"member": member, "operator": "notEquals", "values": [value]})
    if known is not None and known.pg_type != "double precision":
        raise unsupported(f"{node.sql(dialect='postgres')[:60]}: ordering comparison on a non-numeric column")
    return {"member": member, "operator": NUMBER_OPERATORS[kind], "values": [value]}


def _like(node: exp.Expression, scope: _Scope, negated: bool) -> dict:
    member, _ = _dimension_operand(node.this, scope)
    pattern = _literal(node.expression) or ""
    case_insensitive = isinstance(node, exp.ILike)
    inner = pattern.strip("%")
    if "%" in inner or "_" in pattern or "\\" in pattern:
        raise unsupported(f"the pattern {pattern!r}", "only 'x%', '%x' and '%x%' patterns translate")
    if inner == pattern:
        if not case_insensitive:
            operator = "notEquals" if negated else "equals"
            condition = {"member": member, "operator": operator, "values": [pattern]}
            return _set_and(member, condition) if negated else condition
        raise unsupported(f"ILIKE {pattern!r} without a wildcard")
    if not case_insensitive:
        raise unsupported(
            "LIKE with a wildcard (case-sensitive)", "the semantic layer matches patterns case-insensitively: use ILIKE"
        )
    if negated:
        if pattern.startswith("%") and pattern.endswith("%"):
            return _set_and(member, {"member": member, "operator": "notContains", "values": [inner]})
        raise unsupported("NOT ILIKE with a one-sided pattern")
    if pattern.startswith("%") and pattern.endswith("%"):
        operator = "contains"
    else:
        operator = "endsWith" if pattern.startswith("%") else "startsWith"
    return {"member": member, "operator": operator, "values": [inner]}


def _in(node: exp.In, scope: _Scope, negated: bool) -> dict:
    if node.args.get("query") is not None:
        raise unsupported("a subquery in IN")
    member, known = _dimension_operand(node.this, scope)
    values = [_literal(v) for v in node.expressions]
    if None in values:
        raise unsupported("NULL in an IN list", "use IS NULL")
    if _is_time(known):
        values = [_timestamp(v) for v in values]
        ranges = [{"member": member, "operator": "inDateRange", "values": [v, v]} for v in values]
        if negated:
            raise unsupported("NOT IN over a time dimension")
        return {"or": ranges}
    condition = {"member": member, "operator": "notEquals" if negated else "equals", "values": values}
    return _set_and(member, condition) if negated else condition


def _filter(node: exp.Expression, scope: _Scope, negated: bool = False) -> dict:
    if isinstance(node, exp.Paren):
        return _filter(node.this, scope, negated)
    if isinstance(node, exp.Not):
        return _filter(node.this, scope, not negated)
    if isinstance(node, (exp.And, exp.Or)):
        if negated:
            raise unsupported("NOT over AND/OR", "push NOT into the comparisons")
        key = "and" if isinstance(node, exp.And) else "or"
        parts = [_filter(part, scope) for part in node.flatten()]
        return {key: parts}
    if isinstance(node, exp.Is):
        if not isinstance(node.expression, exp.Null):
            raise unsupported(f"IS {node.expression.sql(dialect='postgres')}")
        member, _ = _dimension_operand(node.this, scope)
        is_not = bool(node.args.get("negate")) != negated
        return {"member": member, "operator": "set" if is_not else "notSet"}
    if isinstance(node, exp.In):
        return _in(node, scope, negated)
    if isinstance(node, (exp.Like, exp.ILike)):
        return _like(node, scope, negated)
    if isinstance(node, exp.Between):
        if negated:
            raise unsupported("NOT BETWEEN")
        low = exp.GTE(this=node.this, expression=node.args["low"])
        high = exp.LTE(this=node.this, expression=node.args["high"])
        member, known = _dimension_operand(node.this, scope)
        if _is_time(known):
            values = [_timestamp(_literal(node.args["low"])), _timestamp(_literal(node.args["high"]))]
            return {"member": member, "operator": "inDateRange", "values": values}
        return {"and": [_comparison(low, scope), _comparison(high, scope)]}
    if type(node) in FLIPPED:
        if negated:
            node = {
                exp.EQ: exp.NEQ,
                exp.NEQ: exp.EQ,
                exp.GT: exp.LTE,
                exp.GTE: exp.LT,
                exp.LT: exp.GTE,
                exp.LTE: exp.GT,
            }[type(node)](this=node.this, expression=node.expression)
        return _comparison(node, scope)
    raise unsupported(
        f"the condition {node.sql(dialect='postgres')[:80]}",
        "filters are comparisons, IN, IS [NOT] NULL, ILIKE and BETWEEN joined by AND/OR",
    )


def _inclusive_bounds(node: exp.Expression, scope: _Scope) -> tuple[str, str | None, str | None] | None:
    """(member, lower, upper) when `node` bounds a time dimension inclusively (>=, <=, =, BETWEEN)."""
    if isinstance(node, exp.Between):
        column, low, high = node.this, node.args["low"], node.args["high"]
    elif type(node) in (exp.GTE, exp.LTE, exp.EQ) and isinstance(node.this, exp.Column):
        column = node.this
        low = node.expression if type(node) in (exp.GTE, exp.EQ) else None
        high = node.expression if type(node) in (exp.LTE, exp.EQ) else None
    else:
        return None
    if not isinstance(column, exp.Column) or (not column.table and column.name in scope.aliases):
        return None
    member, known = _column(column, scope)
    if not _is_time(known):
        return None
    try:
        low_value = None if low is None else _literal(low)
        high_value = None if high is None else _literal(high)
    except SqlError:
        return None
    if (low is not None and low_value is None) or (high is not None and high_value is None):
        return None
    return (
        member,
        None if low_value is None else _timestamp(low_value),
        None if high_value is None else _timestamp(high_value),
    )


def _date_ranges(condition: exp.Expression, scope: _Scope, query: dict) -> list[exp.Expression]:
    """Inclusive bounds on time dimensions among the top-level AND-ed conditions become the time
    dimension's dateRange (as a dashboard's REST query has it, which Cube matches to its rollups);
    the other conditions are returned, to become filters. Strict < and > stay filters: a dateRange
    is inclusive and Cube's timestamps stop at milliseconds."""
    ranges: dict[str, list[str | None]] = {}
    rest = []
    for part in condition.unnest().flatten() if isinstance(condition.unnest(), exp.And) else [condition]:
        bounds = _inclusive_bounds(part.unnest(), scope)
        if bounds is None:
            rest.append(part)
            continue
        member, low, high = bounds
        current = ranges.setdefault(member, [None, None])
        if low is not None:
            current[0] = low if current[0] is None else max(current[0], low)
        if high is not None:
            current[1] = high if current[1] is None else min(current[1], high)
    for member, (low, high) in ranges.items():
        entry = next((t for t in query["timeDimensions"] if t["dimension"] == member), None)
        if entry is None:
            entry = {"dimension": member}
            query["timeDimensions"].append(entry)
        entry["dateRange"] = [low or EARLIEST, high or LATEST]
    return rest


def _having(node: exp.Expression, scope: _Scope) -> list[dict]:
    if isinstance(node, exp.Paren):
        return _having(node.this, scope)
    if isinstance(node, exp.And):
        return [f for part in node.flatten() for f in _having(part, scope)]
    if type(node) not in NUMBER_OPERATORS and not isinstance(node, exp.EQ):
        raise unsupported(
            f"the HAVING condition {node.sql(dialect='postgres')[:80]}",
            "compare measures with constants, joined by AND",
        )
    left, right, kind = node.this, node.expression, type(node)
    if isinstance(right, (exp.Anonymous, exp.Column, *AGGREGATES)) and not isinstance(
        left, (exp.Anonymous, exp.Column, *AGGREGATES)
    ):
        left, right, kind = right, left, FLIPPED[kind]
    item = (
        _by_reference(left, scope, "HAVING") if isinstance(left, exp.Column) else _resolve(left, scope, where="HAVING")
    )
    if item.kind != "measure":
        raise unsupported(f"HAVING on the dimension {item.member}", "filter dimensions in WHERE")
    value = _literal(right)
    operator = "equals" if kind is exp.EQ else NUMBER_OPERATORS[kind]
    return [{"member": item.member, "operator": operator, "values": [value]}]
