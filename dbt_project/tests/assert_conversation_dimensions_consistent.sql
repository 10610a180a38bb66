{{ config(severity='warn') }}
-- Contract: all calls of one conversation share its dimensions; int_conversations takes them from
-- the first call, so a conversation whose calls disagree is reported here (min <> max keeps it a
-- cheap hash aggregate instead of count(distinct)). Read from fct_llm_calls, which holds every
-- call of the staging view with the same columns: a table scan, not the view recomputed.
{%- set dimensions = ['customer_ref'] + segment_dimensions() %}

select
    conversation_id
    {%- for dimension in dimensions %},
    min(coalesce({{ dimension }}, '')) <> max(coalesce({{ dimension }}, '')) as {{ dimension }}_differs
    {%- endfor %}
from {{ ref('fct_llm_calls') }}
group by conversation_id
having
    {%- for dimension in dimensions %}
    {% if not loop.first %}or {% endif %}min(coalesce({{ dimension }}, '')) <> max(coalesce({{ dimension }}, ''))
    {%- endfor %}
