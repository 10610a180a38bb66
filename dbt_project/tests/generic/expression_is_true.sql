{#
    Fails for every row where the SQL expression is not true (false or null), optionally within a
    where filter given as test config. Usage (dbt 1.11 syntax):
      data_tests:
        - expression_is_true:
            arguments:
              expression: "conversions <= conversations"
#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not coalesce(({{ expression }}), false)

{% endtest %}
