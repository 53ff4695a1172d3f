"""Behaviour parameters of the simulation, written to truth/params.json with every run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Params:
    # Population. Prospects appear only in lists (and a few web forms); they never buy.
    prospect_ratio: float = 0.30  # prospects per customer
    existing_share: float = 0.65  # customers already acquired before day 0; the rest join in year 1
    lapsed_share: float = 0.12  # existing customers already inactive at day 0 (BG/NBD "dead")
    account_share: float = 0.65  # customers with a web account ACC-nnnnnnn
    loyalty_share: float = 0.35  # customers with a loyalty card LC-nnnnnnn
    household_share: float = 0.30  # persons living with another person (shared address/landline)
    mover_share: float = 0.07  # persons who move to a new address within two years of day 0
    no_email_share: float = 0.05  # people without any e-mail address (they have a phone)

    # BG/NBD-like purchasing: rate ~ Gamma(shape, mean), dropout after each purchase ~ Beta(a, b).
    purchases_per_year: float = 4.0
    rate_shape: float = 1.3
    loyalty_rate_factor: float = 1.8  # loyalty members buy ~1.8x as often
    dropout_a: float = 1.0
    dropout_b: float = 7.0  # mean dropout probability per purchase 1/8
    # Gamma-Gamma-like spend: person spend level ~ Gamma(spend_shape, 1/spend_shape), mean 1.
    spend_shape: float = 3.0
    channel_store: float = 0.60  # mean share of purchases per channel
    channel_online: float = 0.33
    channel_phone: float = 0.07

    # Web: sessions per day ~ Gamma; account holders browse 1.5x as much.
    web_sessions_per_year: float = 7.0
    web_rate_shape: float = 0.8
    stranger_session_share: float = 0.25  # sessions by never-identified visitors, on top
    login_share: float = 0.55  # account holders log in in this share of sessions
    cookie_days: int = 180  # a device's anonymous_id is reset (cookies cleared) every ~180 days
    # Self-service (web pages for order status, shipping, account, FAQ).
    self_service_per_year: float = 1.0  # organic account / FAQ visits per person and year
    self_service_order_check: float = 0.25  # online buyers who check their order's status 1-4 days later
    self_service_problem_share: float = 0.5  # people due to call the service who look it up the day before
    self_service_unanswered: float = 0.2  # other self-service visitors who get in touch within 3 days
    self_service_deflection: float = 0.35  # ...of whom this share finds the answer and never calls

    # Call centre.
    contacts_per_year: float = 1.6
    staffing_slack: float = 1.25  # agents planned for 125% of the expected hour: December overflows
    unresolved_repeat: float = 0.55  # share of unresolved contacts that call again within 5 days
    unresolved_churn: float = 0.10  # share of unresolved contacts after which the customer churns
    survey_share: float = 0.25  # answered contacts that answer the csat/nps survey

    # Campaigns: treatment uplift on purchase rate, response rates per channel.
    control_share: float = 0.10
    # A marketer sizes the hold-out by design: the share, but at least this many accounts (at most
    # half the audience), so a control cell can show a lift at the channels' response rates.
    control_min: int = 200
    treatment_uplift: float = 1.20  # purchase-rate factor for 21 days after launch (treatment cell)
    responder_uplift: float = 2.20  # purchase-rate factor for responders for 21 days after answering

    # Dirt: bounded rates per contact record so identity resolution stays solvable.
    typo_rate: float = 0.015  # per name field
    case_noise_rate: float = 0.05
    space_noise_rate: float = 0.02
    email_alias_rate: float = 0.03
    swap_names_rate: float = 0.003

    # Fulfilment: lines shipped short (the residual goes on backorder); twice as many at peak.
    short_ship_share: float = 0.03

    # Delivery defects.
    late_row_share: float = 0.015  # rows of day d that only arrive in the file of d+1..d+3
    duplicate_file_share: float = 0.02  # daily files delivered twice under another name
    malformed_share: float = 0.001  # rows broken on purpose for the loader's quarantine
    plain_web_share: float = 0.05  # web files delivered as plain .jsonl instead of .jsonl.gz


DEFAULT = Params()
