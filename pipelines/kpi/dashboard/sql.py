"""The SQL behind every tile and chart: each reads a mart (schema marts) and aggregates in DuckDB."""

from __future__ import annotations

CLV_BINS = 30
CLV_CAP_QUANTILE = 0.99  # the top 1% share the last bin, so a few large CLVs do not flatten the rest
TOP_PAIRS = 10  # product pairs shown

# The tiles are rows of marts.kpi_headline (one per window): the definitions live in dbt.
HEADLINE_SQL = "SELECT * FROM marts.kpi_headline WHERE window_name IN ('current', 'previous')"
HEADLINE_TABLE = "kpi_headline"

# Status of each customer today, as marts.customer_churn says (the at-risk rule lives there, not
# here): churned if is_churned, at risk if is_at_risk, active otherwise; one row per status and
# churn_risk_reason (null for active customers), with the mart's next_action counts of the group.
CHURN_STATUS_SQL = """
    WITH actions AS (
        SELECT CASE WHEN is_churned THEN 'churned' WHEN is_at_risk THEN 'at_risk' ELSE 'active' END
                   AS status,
               churn_risk_reason AS reason, next_action, count(*) AS customers
        FROM marts.customer_churn GROUP BY ALL)
    SELECT status, reason, CAST(sum(customers) AS BIGINT) AS customers,
           list(next_action ORDER BY customers DESC, next_action) AS next_actions,
           list(customers ORDER BY customers DESC, next_action) AS next_action_customers
    FROM actions GROUP BY status, reason
    ORDER BY list_position(['active', 'at_risk', 'churned'], status), customers DESC, reason"""

# The most frequent pairs bought together more often than chance (lift above 1, as the offers of
# next_best_offer and bundle_candidates use them). {names}: product names where the optional
# marts.bundle_candidates names them, else the SKU.
PRODUCT_PAIRS_SQL = f"""
    WITH top_pairs AS (
        SELECT sku_a, sku_b, baskets_with_both, support, confidence_a_to_b, confidence_b_to_a, lift
        FROM marts.kpi_product_pairs WHERE lift > 1
        ORDER BY baskets_with_both DESC, lift DESC, sku_a, sku_b LIMIT {TOP_PAIRS})
    SELECT top_pairs.*, {{names}}
    FROM top_pairs {{names_join}}
    ORDER BY baskets_with_both DESC, lift DESC, sku_a, sku_b"""
PAIR_NAMES_TABLE = "bundle_candidates"
PAIR_NAMES = (
    "coalesce(names.product_name_a, top_pairs.sku_a) AS name_a, "
    "coalesce(names.product_name_b, top_pairs.sku_b) AS name_b"
)
PAIR_NAMES_JOIN = "LEFT JOIN marts.bundle_candidates AS names USING (sku_a, sku_b)"
PAIR_SKUS = "top_pairs.sku_a AS name_a, top_pairs.sku_b AS name_b"

CHART_SQL: dict[str, str] = {
    "acquisition": """
        SELECT acquisition_month, coalesce(first_touch_channel, 'unknown') AS channel,
               CAST(sum(new_customers) AS BIGINT) AS new_customers, bool_or(is_warm_up) AS is_warm_up
        FROM marts.kpi_acquisition GROUP BY ALL ORDER BY acquisition_month, channel""",
    "cohort_retention": """
        SELECT cohort_month, months_since_first, retention_rate, cohort_size, is_warm_up, is_complete
        FROM marts.kpi_cohort_retention ORDER BY cohort_month, months_since_first""",
    "churn": """
        SELECT month, active_at_start, churned, churn_rate, month_complete
        FROM marts.kpi_churn ORDER BY month""",
    "churn_status": CHURN_STATUS_SQL,
    "clv_distribution": f"""
        WITH c AS (SELECT greatest(clv, 0) AS clv FROM marts.customer_clv WHERE clv IS NOT NULL),
        w AS (SELECT greatest(quantile_cont(clv, {CLV_CAP_QUANTILE}), 0.01) / {CLV_BINS} AS width FROM c)
        SELECT least(CAST(floor(c.clv / w.width) AS INTEGER), {CLV_BINS - 1}) AS bin,
               any_value(w.width) AS width, count(*) AS customers
        FROM c, w GROUP BY bin ORDER BY bin""",
    "pareto": """
        SELECT customer_percentile, cumulative_revenue_share, cumulative_margin_share
        FROM marts.kpi_pareto ORDER BY customer_percentile""",
    "rfm_segments": """
        SELECT segment, customers, revenue FROM marts.kpi_rfm_segments ORDER BY customers DESC, segment""",
    "loyalty": """
        SELECT loyalty_status, customers, buyers, revenue, revenue_share, retention_rate, repeat_rate,
               avg_predicted_clv
        FROM marts.kpi_loyalty ORDER BY loyalty_status""",
    "satisfaction": """
        SELECT month, channel, csat_responses, avg_csat, nps_responses, nps
        FROM marts.kpi_satisfaction ORDER BY month, channel""",
    "call_center": """
        SELECT date_day, offered, service_level, abandonment_rate, service_level_7d, abandonment_rate_7d
        FROM marts.kpi_service_level_daily ORDER BY date_day""",
    "campaign_lift": """
        SELECT campaign_name, treatment_response_rate, control_response_rate,
               treatment_conversion_rate, control_conversion_rate, conversion_lift
        FROM marts.kpi_campaign_performance ORDER BY launched_at, campaign_id""",
    "opt_in": """
        SELECT channel, customers, asked, opted_in, opted_out, reachable, opt_in_rate,
               opted_in - reachable AS opted_in_unreachable, customers - asked AS not_asked
        FROM marts.kpi_opt_in
        ORDER BY list_position(['email', 'sms', 'phone', 'mail'], channel) NULLS LAST, channel""",
    "product_pairs": PRODUCT_PAIRS_SQL,
    "perfect_order": """
        SELECT month, on_time_rate, in_full_rate, damage_free_rate, documentation_ok_rate,
               perfect_order_rate
        FROM marts.kpi_perfect_order ORDER BY month""",
    "returns_by_reason": """
        SELECT return_reason, returns, refund_value FROM marts.kpi_returns_by_reason
        ORDER BY returns DESC, return_reason""",
    "forecast": """
        SELECT channel_key, week_start, kind, revenue, lower, upper
        FROM marts.sales_forecast ORDER BY channel_key, kind, week_start""",
}

# The mart each chart reads and the column holding its values: the 'no data' note tells a mart
# without rows from one whose rows have no values (e.g. every CLV NULL). Also the asset's deps.
CHART_TABLES: dict[str, tuple[str, str]] = {
    "acquisition": ("kpi_acquisition", "new_customers"),
    "cohort_retention": ("kpi_cohort_retention", "retention_rate"),
    "churn": ("kpi_churn", "churned"),
    "churn_status": ("customer_churn", "customer_key"),
    "clv_distribution": ("customer_clv", "clv"),
    "pareto": ("kpi_pareto", "cumulative_revenue_share"),
    "rfm_segments": ("kpi_rfm_segments", "customers"),
    "loyalty": ("kpi_loyalty", "customers"),
    "satisfaction": ("kpi_satisfaction", "csat_responses"),
    "call_center": ("kpi_service_level_daily", "service_level"),
    "campaign_lift": ("kpi_campaign_performance", "treatment_conversion_rate"),
    "opt_in": ("kpi_opt_in", "customers"),
    "product_pairs": ("kpi_product_pairs", "lift"),
    "perfect_order": ("kpi_perfect_order", "perfect_order_rate"),
    "returns_by_reason": ("kpi_returns_by_reason", "returns"),
    "forecast": ("sales_forecast", "revenue"),
}
# Marts a chart may read besides its own (joined only when they exist).
OPTIONAL_TABLES = (PAIR_NAMES_TABLE,)
# Said instead of 'has N rows, no values to draw' when a chart's filter leaves no row.
FILTERED_NOTES: dict[str, str] = {
    "product_pairs": "no product pair is bought together more often than chance (lift above 1)",
}
