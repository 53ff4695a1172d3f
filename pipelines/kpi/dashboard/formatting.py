"""How the dashboard writes numbers: amounts in the configured currency, rates, scores and changes."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Symbols of the common ISO 4217 codes; any other valid code is written as the code ("CHF 1,234").
SYMBOLS: dict[str, str] = {
    "EUR": "€",
    "USD": "$",
    "GBP": "£",
    "JPY": "¥",
    "CNY": "¥",
    "INR": "₹",
    "KRW": "₩",
    "BRL": "R$",
    "CAD": "CA$",
    "AUD": "A$",
    "NZD": "NZ$",
    "HKD": "HK$",
    "MXN": "MX$",
    "ILS": "₪",
    "VND": "₫",
    "PHP": "₱",
    "UAH": "₴",
    "TRY": "₺",
    "PLN": "zł",
}
ISO_4217 = re.compile(r"[A-Z]{3}")
DEFAULT_CURRENCY = "EUR"  # Settings.currency (CRM360_CURRENCY)


def currency_code(text: str) -> str:
    """A currency setting as its ISO 4217 code: three letters, any case, spaces trimmed."""
    code = text.strip().upper()
    if not ISO_4217.fullmatch(code):
        raise ValueError(f"currency must be an ISO 4217 code such as EUR or USD, not {text!r}")
    return code


@dataclass(frozen=True)
class Money:
    """Amounts in one currency: the text of a value, and plotly's axis prefix and hover format."""

    code: str

    def __post_init__(self) -> None:
        currency_code(self.code)  # the setting validates it too; a Money built by hand as well

    @property
    def symbol(self) -> str:
        return SYMBOLS.get(self.code, self.code)

    @property
    def prefix(self) -> str:
        """What stands before a number: '€' or 'CHF ' (codes get a space, symbols none)."""
        return self.symbol if self.code in SYMBOLS else f"{self.code} "

    def text(self, value: float | None, decimals: int = 0) -> str:
        """'€1,235', '-€12.50', 'CHF 1,235'; None is 'n/a'."""
        if value is None:
            return "n/a"
        sign = "-" if value < 0 else ""
        return f"{sign}{self.prefix}{abs(value):,.{decimals}f}"

    def hover(self, field: str, decimals: int = 0) -> str:
        """A plotly hovertemplate fragment showing `field` (e.g. 'y', 'customdata[1]') as an amount."""
        return f"{self.prefix}%{{{field}:,.{decimals}f}}"

    def axis(self, title: str) -> dict[str, object]:
        """A plotly axis of amounts: the title names the currency, ticks carry its symbol."""
        return {"title": f"{title} ({self.code})", "tickprefix": self.prefix, "separatethousands": True}


def format_value(value: float | None, unit: str, money: Money | None = None) -> str:
    """A tile's value: amounts with the currency, rates in percent, scores with one decimal."""
    if value is None:
        return "n/a"
    if unit == "amount":
        return (money or Money(DEFAULT_CURRENCY)).text(value)
    if unit == "rate":
        return f"{value:.1%}"
    if unit == "score":
        return f"{value:.1f}"
    return f"{value:,.0f}"


def format_change(change: float | None, unit: str) -> tuple[str, str]:
    """(text, css class) of a tile's change: points for rates and scores, percent otherwise."""
    if change is None:
        return "no previous value", "flat"
    direction = "up" if change > 0 else "down" if change < 0 else "flat"
    if unit == "rate":
        return f"{change * 100:+.1f} pp", direction
    if unit == "score":
        return f"{change:+.1f} points", direction
    return f"{change:+.1%}", direction
