"""IdentitySettings: the tunable knobs of identity resolution, with defaults measured on synthetic data."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IdentitySettings:
    """Thresholds and sizes for resolve_identities; the lead maps CRM360_IDENTITY_* env vars onto these."""

    # Splink links two representatives at >= 0.95. On 215k synthetic records (50k people) the
    # false-merge pairs were 143 at 0.5, 48 at 0.95, 0 at 0.999, where recall fell 0.975 -> 0.970.
    match_threshold: float = 0.95
    # Scored pairs from this probability up are stored in core.identity_edges (status 'below_threshold')
    # so that explain_pair can say how close a non-link came; at 1M people 0.5 added 0.35 rows per link.
    review_threshold: float = 0.5
    # Seed for u-estimation sampling: same data + same seed => same model => same links.
    seed: int = 42
    # Random record pairs for u-estimation, and the cap on blocked pairs per EM session. On 215k
    # records 2e6 / 1e6 gave the same links as 5e6 / 2e6 in half the Splink time (6.8 s vs 13.2 s).
    max_pairs_u: float = 2e6
    max_pairs_em: float = 1e6
    # An identifier value (email, account, card) on more records than this is linked as a star around
    # its first-seen record instead of a clique (n-1 edges instead of n(n-1)/2). 5 instead of 20 cut
    # the rule edges by 30% on 215k records with identical links.
    max_clique_size: int = 5
    # A value shared by more than this many distinct surnames is a placeholder or shared mailbox
    # ("noemail@...", a switchboard number), not an identifier: it creates no edges.
    max_surnames_per_identifier: int = 4
    # Phones are household-shared; a phone group larger than this is a switchboard: no phone edges.
    max_phone_group: int = 20
    # Representatives per deterministic cluster sent to Splink: one per distinct postcode, most recent
    # first; 3 covers current + two previous addresses for movers.
    max_reps_per_cluster: int = 3
    # Below this many records (and with no stored model) Splink is skipped and only the rules link:
    # EM on a few hundred records does not converge to anything worth trusting.
    min_records_to_train: int = 500
    # A Splink blocking key shared by more representatives than this is not used to block (see
    # representatives.BLOCK_KEYS): 100 caps a block at 4,950 comparisons.
    max_block_size: int = 100
    # Reuse the model stored in core.identity_model when present: incremental runs then score new
    # records with yesterday's parameters, so links (and keys) do not wobble with retraining.
    retrain_model: bool = False
    # ... until the population moves away from the one the model learnt from: more than this factor
    # more (or fewer) records, or a comparison input whose completeness moved by more than this
    # share (a new feed without e-mails, a list with dobs). Then it is trained again on this data.
    retrain_growth: float = 2.0
    retrain_completeness_shift: float = 0.15
    # DuckDB's memory_limit while identity runs, below the pipeline's 4GB: scipy's component arrays,
    # Splink and their libraries sit beside DuckDB in this process. At 1M customers (20M records)
    # peak RSS was the limit + 1.1 to 1.4 GB: 4GB -> 5.4 GB (7.1 GB before the graph used int32 indices),
    # 3GB -> 4.1 GB in 334 s against 308 s.
    duckdb_memory_limit: str = "3GB"
    # Incremental runs (incremental.py): resolve only the part of the graph that new and changed
    # records reach, reusing the stored edges elsewhere. Off, or when more than this share of the
    # records is new, changed or gone (a first load, a re-sent history), a full resolution runs:
    # past ~20% the affected regions cover most of the graph and the bookkeeping costs more than
    # it saves.
    incremental: bool = True
    incremental_max_changed_share: float = 0.2
