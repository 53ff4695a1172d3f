"""Consent on the marketing outputs and the campaign compliance count, on a simulated warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from quality.results import dbt_results_to_check_results
from tests.dbt_core_fixtures import Built, build_simulated
from tests.dbt_helpers import _rows

pytestmark = pytest.mark.integration  # real dbt builds (tests/dbt_core_fixtures.py)

# Long enough for response lists (14 days after each monthly campaign) to give and withdraw
# consent before later campaigns and the as-of day; the 30-day core fixture has no answer yet.
SIMULATION = {"customers": 1000, "days": 150, "seed": 3}

# Every list of people to contact, with the column naming its channel.
MARKETING_OUTPUTS = (
    "marts.marketing_audience",
    "marts.marketing_triggers",
    "marts.next_best_offer",
    "marts.upsell_candidates",
    "restricted.marketing_contacts",
    "marts.telesales_call_list",
    "restricted.telesales_call_sheet",
)
CONTACT_OK = {
    "email": "nullif(trim(c.email), '') is not null",
    "sms": "nullif(trim(c.phone), '') is not null",
    "phone": "nullif(trim(c.phone), '') is not null",
    "mail": "nullif(trim(c.address_line1), '') is not null and nullif(trim(c.postcode), '') is not null"
    " and nullif(trim(c.city), '') is not null",
}
PERSONAL = {"first_name", "last_name", "email", "phone", "address_line1", "address_line2", "city", "postcode"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    yield from build_simulated(tmp_path_factory.mktemp("dbt_consent"), SIMULATION)


def _one(built: Built, sql: str) -> Any:
    return built.con.execute(sql).fetchone()[0]


@pytest.mark.parametrize("table", MARKETING_OUTPUTS)
def test_every_marketing_row_has_consent_now(built: Built, table: str) -> None:
    """Checked in the test's own SQL, and by the dbt test: consent in the current version and a contact."""
    rules = [f"(o.channel = '{ch}' and c.consent_{ch} and {ok})" for ch, ok in CONTACT_OK.items()]
    allowed = " or ".join(rules)
    bad = _one(
        built,
        f"select count(*) from {table} o left join core.dim_customer c "
        f"on c.customer_key = o.customer_key and c.is_current where not coalesce({allowed}, false)",
    )
    assert bad == 0
    name = table.split(".")[1]
    test_id = f"test.crm360.ops_has_marketing_consent_{name}"
    checks = [r for r in built.run.results if r["unique_id"].startswith(test_id)]
    assert [r["status"] for r in checks] == ["pass"], name


def test_outputs_keep_contactable_customers_only(built: Built) -> None:
    """Triggers and offers lose exactly the customers without a consented, reachable channel."""
    contactable = "(select customer_key from marts.marketing_audience)"
    assert _one(built, "select count(*) from marts.next_best_offer") > 0
    for table in ("marts.marketing_triggers", "marts.next_best_offer", "marts.upsell_candidates"):
        assert _one(built, f"select count(*) from {table} where customer_key not in {contactable}") == 0
        # The preferred channel: the first of email, sms, phone, mail the customer is in the audience for.
        wrong = _one(
            built,
            f"select count(*) from {table} t where t.channel <> (select a.channel "
            "from marts.marketing_audience a where a.customer_key = t.customer_key "
            "order by list_position(['email', 'sms', 'phone', 'mail'], a.channel) limit 1)",
        )
        assert wrong == 0, table


def test_personal_contact_fields_only_in_restricted(built: Built) -> None:
    audience = {r[0] for r in built.con.execute("describe marts.marketing_audience").fetchall()}
    contacts = {r[0] for r in built.con.execute("describe restricted.marketing_contacts").fetchall()}
    assert not audience & PERSONAL
    assert contacts >= PERSONAL
    assert _one(built, "select count(*) from restricted.marketing_contacts") == _one(
        built, "select count(*) from marts.marketing_audience"
    )
    leaked = _one(
        built,
        "select count(*) from restricted.marketing_contacts where (channel <> 'email' and email is not null) "
        "or (channel not in ('sms', 'phone') and phone is not null) "
        "or (channel <> 'mail' and coalesce(address_line1, city, postcode) is not null)",
    )
    assert leaked == 0


def test_compliance_counts_match_an_independent_count(built: Built) -> None:
    """Per campaign: each treatment send's consent on the campaign channel in the latest version
    that started before the launch day (a different formulation from the mart's range join)."""
    expected = _rows(
        built.con,
        """
        with sends as (
            select c.campaign_id, c.campaign_channel, c.launched_at, a.customer_key
            from core.fct_campaign_audience a join core.dim_campaign c using (campaign_key)
            where a.is_treatment and c.campaign_type = 'outbound'
        ),
        judged as (
            select s.campaign_id, s.customer_key, (
                select case s.campaign_channel when 'email' then v.consent_email when 'sms' then v.consent_sms
                    when 'phone' then v.consent_phone when 'mail' then v.consent_mail end
                from core.dim_customer v
                where v.customer_key = s.customer_key and v.valid_from < s.launched_at::date
                order by v.valid_from desc limit 1
            ) as consent
            from sends s
        )
        select campaign_id, count(*) as sends, count(*) filter (where consent) as with_consent,
            count(*) filter (where consent = false) as opted_out,
            count(*) filter (where consent is null and customer_key is not null) as never_asked,
            count(*) filter (where customer_key is null) as unknown
        from judged group by campaign_id order by campaign_id
        """,
    )
    actual = _rows(
        built.con,
        "select campaign_id, treatment_sends as sends, sends_with_consent as with_consent, "
        "sends_after_opt_out as opted_out, sends_never_asked as never_asked, "
        "sends_unknown_customer as unknown "
        "from marts.kpi_consent_compliance where treatment_sends > 0 order by campaign_id",
    )
    assert actual == expected
    # The demo has every case: sends with consent, after an opt-out, never asked, unknown customer.
    assert all(sum(r[k] for r in actual) > 0 for k in ("with_consent", "opted_out", "never_asked", "unknown"))


def test_sends_without_consent_warn_with_their_count(built: Built) -> None:
    """The warn-only dbt test reports the count of sends without consent, as audit.check_results keeps it."""
    without = _one(built, "select sum(sends_without_consent) from marts.kpi_consent_compliance")
    result = next(r for r in built.run.results if "sends_without_consent" in r["unique_id"])
    assert result["status"] == ("warn" if without else "pass")
    assert result["failures"] == without
    checks = dbt_results_to_check_results({"results": [result]}, "run-1", None)
    assert len(checks) == 1 and checks[0].failing_rows == without
    assert checks[0].passed == (without == 0)
