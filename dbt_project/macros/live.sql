{#- The columns of fct_llm_calls, in its order: the lambda view live_llm_calls serves exactly these. -#}
{% macro live_llm_call_columns() %}
    {{ return(['project', 'event_id', 'occurred_at', 'date_day', 'conversation_id', 'customer_ref']
              + segment_dimensions()
              + ['latency_ms', 'time_to_first_token_ms', 'input_tokens', 'output_tokens', 'cached_input_tokens',
                 'cost_usd', 'cost_from_price_table', 'status', 'error_type', 'is_error',
                 'ingestion_key_id', 'load_id']) }}
{% endmacro %}
