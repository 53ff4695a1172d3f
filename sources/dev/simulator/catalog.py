"""Product catalogue: ~200 SKUs in 10 categories, three price tiers per product line, affinities."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sources.dev.simulator.rand import rng as make_rng
from sources.dev.simulator.rand import zipf_weights

# category: (return rate per line, cost ratio, [(product line, base price), ...])
# Return rates follow typical retail: apparel and footwear ~10-12%, books ~2%.
_CATS: dict[str, tuple[float, float, list[tuple[str, float]]]] = {
    "footwear": (
        0.10,
        0.50,
        [
            ("Trail shoe", 59.99),
            ("Running shoe", 64.99),
            ("Walking boot", 79.99),
            ("Sandal", 24.99),
            ("Slipper", 14.99),
            ("Trainer", 49.99),
            ("Wellington", 29.99),
        ],
    ),
    "apparel": (
        0.12,
        0.42,
        [
            ("Hiking sock", 7.99),
            ("Rain jacket", 69.99),
            ("Fleece", 34.99),
            ("T-shirt", 12.99),
            ("Base layer", 24.99),
            ("Trousers", 39.99),
            ("Beanie", 9.99),
        ],
    ),
    "outdoor": (
        0.06,
        0.55,
        [
            ("Tent", 119.99),
            ("Sleeping bag", 59.99),
            ("Backpack", 49.99),
            ("Head torch", 19.99),
            ("Camping stove", 34.99),
            ("Water bottle", 9.99),
            ("Trekking pole", 24.99),
        ],
    ),
    "electronics": (
        0.05,
        0.68,
        [
            ("Headphones", 49.99),
            ("Phone case", 12.99),
            ("Power bank", 24.99),
            ("Smartwatch", 149.99),
            ("Speaker", 59.99),
            ("Charger", 14.99),
            ("E-reader", 99.99),
        ],
    ),
    "home": (
        0.04,
        0.50,
        [
            ("Duvet", 39.99),
            ("Pillow", 14.99),
            ("Towel set", 24.99),
            ("Lamp", 29.99),
            ("Cushion", 11.99),
            ("Rug", 49.99),
            ("Candle", 7.99),
        ],
    ),
    "kitchen": (
        0.04,
        0.52,
        [
            ("Coffee machine", 129.99),
            ("Coffee beans", 8.99),
            ("Kettle", 29.99),
            ("Toaster", 34.99),
            ("Knife set", 44.99),
            ("Frying pan", 24.99),
            ("Mug set", 12.99),
        ],
    ),
    "beauty": (
        0.03,
        0.40,
        [
            ("Shampoo", 5.99),
            ("Conditioner", 5.99),
            ("Face cream", 19.99),
            ("Perfume", 49.99),
            ("Hair dryer", 39.99),
            ("Razor", 24.99),
            ("Shower gel", 3.99),
        ],
    ),
    "toys": (
        0.04,
        0.50,
        [
            ("Board game", 24.99),
            ("Puzzle", 12.99),
            ("Building set", 39.99),
            ("Doll", 19.99),
            ("Remote car", 34.99),
            ("Plush toy", 9.99),
            ("Art set", 14.99),
        ],
    ),
    "sports": (
        0.06,
        0.55,
        [
            ("Yoga mat", 19.99),
            ("Dumbbells", 29.99),
            ("Bike helmet", 39.99),
            ("Bike light", 14.99),
            ("Football", 14.99),
            ("Tennis racket", 49.99),
            ("Gym bag", 24.99),
        ],
    ),
    "garden": (
        0.03,
        0.50,
        [
            ("Garden hose", 24.99),
            ("Plant pot", 9.99),
            ("Seeds", 2.99),
            ("Secateurs", 14.99),
            ("BBQ grill", 149.99),
            ("Charcoal", 9.99),
            ("Garden chair", 39.99),
        ],
    ),
}
TIERS = ("Basic", "Plus", "Pro")
TIER_PRICE = np.array([1.0, 1.6, 2.5])  # up-sell: higher tiers cost 1.6x / 2.5x
TIER_COST = np.array([1.0, 0.94, 0.86])  # and carry a better margin

# Pairs bought together (cross-sell, bundles): the second line is added to a basket holding the
# first with probability AFFINITY_P.
_AFFINITY = [
    ("Trail shoe", "Hiking sock"),
    ("Walking boot", "Hiking sock"),
    ("Running shoe", "Base layer"),
    ("Tent", "Sleeping bag"),
    ("Sleeping bag", "Head torch"),
    ("Camping stove", "Water bottle"),
    ("Coffee machine", "Coffee beans"),
    ("Headphones", "Charger"),
    ("Smartwatch", "Charger"),
    ("Phone case", "Power bank"),
    ("Shampoo", "Conditioner"),
    ("Duvet", "Pillow"),
    ("BBQ grill", "Charcoal"),
    ("Bike helmet", "Bike light"),
    ("Kettle", "Mug set"),
    ("Plant pot", "Seeds"),
    ("Backpack", "Water bottle"),
    ("Rain jacket", "Fleece"),
    ("Board game", "Puzzle"),
    ("Yoga mat", "Gym bag"),
    ("Toaster", "Kettle"),
]
AFFINITY_P = 0.35


@dataclass(frozen=True)
class Catalog:
    sku: np.ndarray  # "SKU-0001"...
    name: np.ndarray
    category: np.ndarray  # category name per SKU
    cat_idx: np.ndarray
    line_idx: np.ndarray  # product line per SKU (3 SKUs per line)
    tier: np.ndarray
    price: np.ndarray  # cents
    cost: np.ndarray  # cents
    return_rate: np.ndarray
    recall: np.ndarray  # SKUs with a safety recall: some of their lines come back as "recall"
    line_weight: np.ndarray  # popularity of each product line within its category
    line_cat: np.ndarray
    partner: np.ndarray  # affinity partner line per line, -1 if none
    categories: tuple[str, ...]

    @property
    def n_lines(self) -> int:
        return len(self.line_cat)

    def sku_of(self, line: np.ndarray, tier: np.ndarray) -> np.ndarray:
        return line * len(TIERS) + tier

    def draw_lines(self, rng: np.random.Generator, cat: np.ndarray) -> np.ndarray:
        """A product line within each given category, by popularity (vectorised with offsets)."""
        lw = self.line_weight
        cum = np.zeros(self.n_lines)
        for c in range(len(self.categories)):
            m = self.line_cat == c
            cum[m] = c + np.cumsum(lw[m]) / lw[m].sum()
        return np.searchsorted(cum, cat + rng.random(len(cat)) * 0.999999, side="right").clip(
            0, self.n_lines - 1
        )


def build_catalog(seed: int) -> Catalog:
    rng = make_rng(seed, "catalog")
    cats = tuple(_CATS)
    rows = []
    for ci, (cat, (ret, cost_ratio, lines)) in enumerate(_CATS.items()):
        for name, base in lines:
            rows.append((ci, cat, name, base, ret, cost_ratio))
    line_names = [r[2] for r in rows]
    n_lines = len(rows)
    line_cat = np.array([r[0] for r in rows])
    # Within a category the first lines listed sell most; jitter so seeds differ a little.
    line_weight = np.concatenate([zipf_weights(7, 0.8) for _ in cats]) * rng.uniform(0.8, 1.2, n_lines)
    partner = np.full(n_lines, -1)
    for a, b in _AFFINITY:
        partner[line_names.index(a)] = line_names.index(b)
    sku, name, category, price, cost, tiers, lines_of, ret = [], [], [], [], [], [], [], []
    for li, (_ci, cat, lname, base, r, cost_ratio) in enumerate(rows):
        for t, tname in enumerate(TIERS):
            p = round(base * TIER_PRICE[t]) - 0.01 if t else base  # keep the .99 price points
            sku.append(f"SKU-{len(sku) + 1:04d}")
            name.append(f"{lname} {tname}")
            category.append(cat)
            price.append(int(round(p * 100)))
            cost.append(int(round(p * 100 * cost_ratio * TIER_COST[t] * rng.uniform(0.92, 1.08))))
            tiers.append(t)
            lines_of.append(li)
            ret.append(r * (1.2 if t == 0 else 1.0))
    recall = np.zeros(len(sku), dtype=bool)
    recall[
        rng.choice(
            np.flatnonzero(np.isin(np.array(category), ["electronics", "toys", "kitchen"])), 6, replace=False
        )
    ] = True
    return Catalog(
        sku=np.array(sku, dtype=object),
        name=np.array(name, dtype=object),
        category=np.array(category, dtype=object),
        cat_idx=line_cat[np.array(lines_of)],
        line_idx=np.array(lines_of),
        tier=np.array(tiers),
        price=np.array(price, dtype=np.int64),
        cost=np.array(cost, dtype=np.int64),
        return_rate=np.array(ret),
        recall=recall,
        line_weight=line_weight,
        line_cat=line_cat,
        partner=partner,
        categories=cats,
    )
