{#-
    The segment dimensions and histogram edges of the one contract (outcomelens/contract/segments.py).
    Models loop over these instead of listing them; tests/unit/test_contract.py checks each list
    equals the registry's, so change them there and here together.
-#}

{#- The grain of fct_attribution_daily after date_day, in the marts' column order. -#}
{% macro segment_dimensions() %}
    {{ return(['experiment_id', 'variant', 'prompt_id', 'prompt_version', 'config_hash', 'llm_provider',
               'llm_model', 'intent', 'capability', 'action']) }}
{% endmacro %}

{#- `latency_le_<edge>`: calls with latency_ms ≤ edge (milliseconds). -#}
{% macro latency_edges_ms() %}
    {{ return([100, 250, 500, 750, 1000, 1250, 1500, 1750, 2000, 2500, 3000, 4000, 5000, 7500, 10000,
               20000, 60000]) }}
{% endmacro %}

{#- `resolution_le_<edge>`: resolved conversations with resolution_time_s ≤ edge (seconds). -#}
{% macro resolution_edges_s() %}
    {{ return([30, 60, 120, 180, 300, 450, 600, 900, 1200, 1800, 2700, 3600, 7200, 14400, 86400]) }}
{% endmacro %}
