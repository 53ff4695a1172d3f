{#- Net Promoter Score aggregates over a 0-10 "likelihood to recommend" column (Reichheld 2003):
    promoters answer 9-10, detractors 0-6, passives 7-8; NPS = (promoters - detractors) /
    responses x 100, in [-100, 100]; NULL without responses. NULL scores are not responses. -#}
{% macro kpi_nps_promoters(score) -%}
    count({{ score }}) filter (where {{ score }} >= 9)
{%- endmacro %}

{% macro kpi_nps_detractors(score) -%}
    count({{ score }}) filter (where {{ score }} <= 6)
{%- endmacro %}

{% macro kpi_nps(score) -%}
    (100.0 * {{ kpi_safe_ratio(kpi_nps_promoters(score) ~ ' - ' ~ kpi_nps_detractors(score), 'count(' ~ score ~ ')') }})
{%- endmacro %}

{#- The same score from promoter, detractor and response counts, so that rows re-aggregated
    (days into months, agents into queues) give the right NPS rather than an average of NPS. -#}
{% macro kpi_nps_from_counts(promoters, detractors, responses) -%}
    (100.0 * {{ kpi_safe_ratio('(' ~ promoters ~ ') - (' ~ detractors ~ ')', responses) }})
{%- endmacro %}
