"""Prices as people read them."""

SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "cad": "CA$", "aud": "A$"}


def format_price(cents: int, currency: str) -> str:
    """“$1,200”, “$12.50”, or “1,200 CHF” for a currency without a symbol here."""
    amount = cents / 100
    symbol = SYMBOLS.get(currency, "")
    text = f"{amount:,.0f}" if cents % 100 == 0 else f"{amount:,.2f}"
    return f"{symbol}{text}" if symbol else f"{text} {currency.upper()}"
