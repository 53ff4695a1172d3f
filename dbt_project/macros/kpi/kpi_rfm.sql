{#- RFM segment name from the recency and frequency scores (1-5, 5 = most recent / most
    frequent), the usual R x F grid (monetary refines the cell, not the name):

        F ->        1            2-3                  4-5
        R 5   new_customers  potential_loyalists  champions
        R 4   promising      potential_loyalists  loyal
        R 3   about_to_sleep (F1-2), need_attention (F3), loyal (F4-5)
        R 1-2 lost (R1 F1), hibernating (F1-2), at_risk (F3-4), cant_lose (F5)

    Every one of the 25 R/F cells maps to exactly one name. -#}
{% macro kpi_rfm_segment(r_score, f_score) -%}
    case
        when {{ r_score }} = 5 and {{ f_score }} >= 4 then 'champions'
        when {{ r_score }} = 5 and {{ f_score }} = 1 then 'new_customers'
        when {{ r_score }} >= 4 and {{ f_score }} between 2 and 3 then 'potential_loyalists'
        when {{ r_score }} = 4 and {{ f_score }} = 1 then 'promising'
        when {{ r_score }} between 3 and 4 and {{ f_score }} >= 4 then 'loyal'
        when {{ r_score }} = 3 and {{ f_score }} = 3 then 'need_attention'
        when {{ r_score }} = 3 and {{ f_score }} <= 2 then 'about_to_sleep'
        when {{ r_score }} <= 2 and {{ f_score }} = 5 then 'cant_lose'
        when {{ r_score }} <= 2 and {{ f_score }} >= 3 then 'at_risk'
        when {{ r_score }} = 1 and {{ f_score }} = 1 then 'lost'
        when {{ r_score }} <= 2 and {{ f_score }} <= 2 then 'hibernating'
    end
{%- endmacro %}

