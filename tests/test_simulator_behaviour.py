"""Feed simulator behaviour that the KPIs rely on: seasonality, returns, churn, queues, dirt."""

from __future__ import annotations

from sources.dev.simulator.campaigns import control_size
from sources.dev.simulator.params import DEFAULT
from tests.simulator_fixtures import TS, q


def test_seasonality_weekly_and_december_peak(db):
    ts = TS.format("transaction_at")
    per_day = dict(
        q(
            db,
            f"""SELECT month({ts}),
        count(DISTINCT transaction_id) / count(DISTINCT CAST({ts} AS DATE))
        FROM pos WHERE return_reason IS NULL AND _violations = 0 GROUP BY 1""",
        )
    )
    assert per_day[12] > 1.25 * per_day[11] and per_day[12] > 1.25 * per_day[10]
    by_dow = dict(
        q(
            db,
            f"""SELECT dayofweek({ts}), count(DISTINCT transaction_id) FROM pos
        WHERE channel = 'store' AND return_reason IS NULL GROUP BY 1""",
        )
    )
    assert by_dow[6] > 1.3 * by_dow[2]  # Saturday vs Tuesday


def test_returns_every_reason_and_fulfilment(db):
    reasons = dict(
        q(
            db,
            """SELECT return_reason, count(*) FROM pos WHERE return_reason IS NOT NULL
        AND TRY_CAST(quantity AS INT) < 0 AND TRY_CAST(amount AS DECIMAL(12,2)) < 0
        AND return_of_transaction_id IS NOT NULL GROUP BY 1""",
        )
    )
    assert set(reasons) == {"returns", "recall", "repair", "repackaging", "recycling"}
    assert reasons["returns"] == max(reasons.values())
    assert q(db, "SELECT count(*) FROM pos WHERE damaged = 'true'")[0][0] > 0
    orphan = q(
        db,
        """SELECT count(*) FROM pos r ANTI JOIN (SELECT DISTINCT transaction_id FROM pos) o
        ON r.return_of_transaction_id = o.transaction_id
        WHERE r.return_of_transaction_id IS NOT NULL""",
    )[0][0]
    assert orphan <= 0.05 * sum(reasons.values())
    late, short, doc, n = q(
        db,
        f"""SELECT
        count(*) FILTER ({TS.format("delivered_at")} > {TS.format("promised_at")}),
        count(*) FILTER (quantity_shipped <> quantity_ordered), count(*) FILTER (documentation_ok = 'false'),
        count(*) FROM pos WHERE channel IN ('online', 'phone') AND return_reason IS NULL""",
    )[0]
    assert 0.03 * n < late < 0.4 * n and 0 < short < 0.1 * n and 0 < doc < 0.1 * n
    assert q(db, "SELECT count(*) FROM pos WHERE channel = 'store' AND promised_at IS NOT NULL")[0][0] == 0


def test_churn_loyalty_and_campaign_lift(db):
    after_churn = q(
        db,
        f"""SELECT count(*) FROM pos p
        JOIN records r ON r.source_system = 'pos' AND r.source_record_id = p.transaction_id
        JOIN persons USING (person_id) WHERE p.return_reason IS NULL AND p.channel = 'store'
        AND churned_on IS NOT NULL
        AND CAST({TS.format("p.transaction_at")} AS DATE) > CAST(churned_on AS DATE)""",
    )
    assert after_churn[0][0] == 0
    assert q(db, "SELECT count(*) FROM persons WHERE churned_on IS NOT NULL")[0][0] > 20
    per_person = dict(
        q(
            db,
            """SELECT loyalty_member,
        count(DISTINCT p.transaction_id) / count(DISTINCT person_id)
        FROM records r JOIN persons USING (person_id) JOIN pos p ON r.source_record_id = p.transaction_id
        WHERE r.source_system = 'pos' GROUP BY 1""",
        )
    )
    assert per_person["true"] > per_person["false"]
    # The control cell is sized by design (issue 23): the share, at least control_min, at most half.
    for audience, control in q(
        db, "SELECT count(*), count(*) FILTER (cell = 'control') FROM campaign_audience GROUP BY campaign_id"
    ):
        assert control == control_size(audience, DEFAULT.control_share, DEFAULT.control_min)
    # Lift: the treatment cell answers far more often than the held-out control (campaigns whose
    # response list has arrived).
    rate = dict(
        q(
            db,
            """SELECT a.cell, count(t.response_id) / count(*) FROM campaign_audience a
        JOIN persons p ON p.account_id = a.customer_ref
        LEFT JOIN (SELECT r.person_id, l.campaign_id, l.response_id FROM response_list l
                   JOIN records r ON r.source_system = 'response_list'
                    AND r.source_record_id = l.response_id) t
          ON t.person_id = p.person_id AND t.campaign_id = a.campaign_id
        WHERE a.campaign_id IN (SELECT campaign_id FROM response_list) GROUP BY 1""",
        )
    )
    assert rate["treatment"] > max(0.03, 1.5 * rate["control"])


def test_call_queues_overflow_and_surveys(db):
    queues = {r[0] for r in q(db, "SELECT DISTINCT queue FROM callcenter WHERE _violations = 0")}
    assert queues == {"service", "telesales", "helpdesk", "chat", "complaints"}
    abandoned, surveyed, outbound, repeat = q(
        db,
        """SELECT count(*) FILTER (abandoned = 'true'),
        count(*) FILTER (csat IS NOT NULL), count(*) FILTER (direction = 'outbound'),
        count(*) FILTER (order_ref IS NOT NULL AND queue <> 'telesales') FROM callcenter""",
    )[0]
    assert abandoned > 0 and surveyed > 0 and outbound > 0 and repeat > 0
    answered = q(db, "SELECT count(*) FROM callcenter WHERE abandoned = 'true' AND answered_at IS NOT NULL")
    assert answered[0][0] == 0
    # Overflow: the busiest day's waits are longer than a quiet day's.
    waits = [
        r[0]
        for r in q(
            db,
            f"""SELECT avg(epoch({TS.format("answered_at")} - {TS.format("started_at")}))
        FROM callcenter WHERE channel = 'phone' AND direction = 'inbound' AND queue <> 'telesales'
        GROUP BY CAST({TS.format("started_at")} AS DATE) HAVING count(*) >= 3 ORDER BY count(*)""",
        )
    ]
    assert max(waits[-5:]) > 2 * min(waits[:5])


def test_web_logins_are_stitched_by_anonymous_id(db):
    stitched = q(
        db,
        """SELECT count(DISTINCT l.anonymous_id) FROM web l JOIN web e USING (anonymous_id)
        WHERE l.event_type = 'login' AND e.user_id IS NULL AND e.occurred_at < l.occurred_at""",
    )[0][0]
    assert stitched > 50
    assert q(db, "SELECT count(*) FROM web WHERE utm_campaign LIKE 'CMP-%'")[0][0] > 0
    assert q(db, "SELECT count(*) FROM web WHERE event_type = 'login' AND email IS NOT NULL")[0][0] > 0


def test_contact_dirt_is_present_but_bounded(db):
    formats = dict(
        q(
            db,
            """SELECT CASE WHEN regexp_matches(phone, '^\\+\\d+ ') THEN 'spaced'
            WHEN regexp_matches(phone, '^\\+\\d+$') THEN 'e164' WHEN phone LIKE '00%' THEN '00'
            WHEN phone LIKE '(0%' THEN 'parens' WHEN phone LIKE '0%' THEN 'national' END, count(*)
        FROM (SELECT phone FROM compiled_list UNION ALL SELECT phone FROM callcenter
              UNION ALL SELECT phone FROM pos) WHERE phone IS NOT NULL GROUP BY 1""",
        )
    )
    assert set(formats) == {"spaced", "e164", "00", "parens", "national"}
    n_alias, n_email = q(db, "SELECT count(*) FILTER (email LIKE '%+%@%'), count(email) FROM web")[0]
    assert 0 < n_alias < 0.1 * n_email
    upper, n = q(
        db,
        """SELECT count(*) FILTER (last_name = upper(last_name)), count(last_name)
        FROM compiled_list WHERE record_id LIKE 'V1-%'""",
    )[0]
    assert upper > 0.9 * n
    assert q(db, "SELECT count(*) FROM pos WHERE address_line1 LIKE '%,%'")[0][0] > 0
    shared = q(
        db,
        """SELECT count(*) FROM (SELECT address_line1, postcode FROM persons GROUP BY ALL
        HAVING count(DISTINCT first_name) > 1)""",
    )[0][0]
    assert shared > 50  # households: different people at one address
