{#
    The bucket, 0 to buckets - 1, of a value's hash: a model built in buckets puts each row in
    exactly one. DuckDB's hash() is an unsigned 64-bit integer; Spark's is a signed 32-bit one, whose
    remainder (%) is negative for about half the values, so Spark takes the positive remainder.
#}
{% macro hash_bucket(expression, buckets) -%}
    {{ return(adapter.dispatch('hash_bucket', 'crm360')(expression, buckets)) }}
{%- endmacro %}

{% macro default__hash_bucket(expression, buckets) -%}
    hash({{ expression }}) % {{ buckets }}
{%- endmacro %}

{% macro spark__hash_bucket(expression, buckets) -%}
    pmod(hash({{ expression }}), {{ buckets }})
{%- endmacro %}
