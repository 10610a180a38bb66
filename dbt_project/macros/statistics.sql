{#
    95% intervals for the difference variant − control, computed from additive parts only (counts,
    sums, sums of squares), so the same SQL works over any re-aggregation (docs/design.md §3).
    Every macro returns a SQL expression; nulls propagate when an arm has too few observations.
#}

{% macro z_95() -%}1.959963984540054{%- endmacro %}

{# Wilson score bound for x successes out of n trials; sign = -1 (lower) or +1 (upper). #}
{% macro wilson_bound(x, n, sign) -%}
    case when ({{ n }}) > 0 then
        (
            (cast({{ x }} as {{ dbt.type_float() }}) / ({{ n }}) + {{ z_95() }} * {{ z_95() }} / (2.0 * ({{ n }})))
            {{ '-' if sign < 0 else '+' }} {{ z_95() }} * sqrt(
                (cast({{ x }} as {{ dbt.type_float() }}) / ({{ n }}))
                * (1 - cast({{ x }} as {{ dbt.type_float() }}) / ({{ n }})) / ({{ n }})
                + {{ z_95() }} * {{ z_95() }} / (4.0 * ({{ n }}) * ({{ n }}))
            )
        ) / (1 + {{ z_95() }} * {{ z_95() }} / ({{ n }}))
    end
{%- endmacro %}

{#
    Newcombe's hybrid score interval (method 10, Newcombe 1998) for p2 − p1 from the two Wilson
    intervals: lower = d − sqrt((p2 − l2)² + (u1 − p1)²), upper = d + sqrt((u2 − p2)² + (p1 − l1)²).
#}
{% macro newcombe_bound(x1, n1, x2, n2, sign) -%}
    {%- set p1 = "(cast(" ~ x1 ~ " as " ~ dbt.type_float() ~ ") / nullif(" ~ n1 ~ ", 0))" -%}
    {%- set p2 = "(cast(" ~ x2 ~ " as " ~ dbt.type_float() ~ ") / nullif(" ~ n2 ~ ", 0))" -%}
    {%- if sign < 0 -%}
    ({{ p2 }} - {{ p1 }}) - sqrt(
        power({{ p2 }} - {{ wilson_bound(x2, n2, -1) }}, 2) + power({{ wilson_bound(x1, n1, 1) }} - {{ p1 }}, 2)
    )
    {%- else -%}
    ({{ p2 }} - {{ p1 }}) + sqrt(
        power({{ wilson_bound(x2, n2, 1) }} - {{ p2 }}, 2) + power({{ p1 }} - {{ wilson_bound(x1, n1, -1) }}, 2)
    )
    {%- endif -%}
{%- endmacro %}

{# Unbiased sample variance from n, sum and sum of squares (null below two observations). #}
{% macro sample_variance(n, total, total_sq) -%}
    case when ({{ n }}) > 1 then
        greatest((({{ total_sq }}) - ({{ total }}) * ({{ total }}) / ({{ n }})) / (({{ n }}) - 1), 0)
    end
{%- endmacro %}

{#
    Two-sided 97.5% quantile of Student's t with df degrees of freedom, by the Cornish–Fisher
    expansion around z (error below 1e-3 for df ≥ 3; SQL has no t quantile function).
#}
{% macro t_975(df) -%}
    {%- set z = 1.959963984540054 -%}
    {%- set c1 = (z ** 3 + z) / 4 -%}
    {%- set c2 = (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96 -%}
    {%- set c3 = (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384 -%}
    ({{ z }} + {{ c1 }} / ({{ df }}) + {{ c2 }} / power({{ df }}, 2) + {{ c3 }} / power({{ df }}, 3))
{%- endmacro %}
