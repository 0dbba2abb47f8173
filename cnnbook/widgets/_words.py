"""Small helpers that turn numbers and lists into the explorers' sentences."""
from __future__ import annotations

from fractions import Fraction


def _and(items):
    """``[5]`` → ``"5"``, ``[2, 5, 6]`` → ``"2, 5 and 6"``."""
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" and {items[-1]}"


def _indices(items):
    """``[5]`` → ``"index 5"``, ``[2, 5, 6]`` → ``"indices 2, 5 and 6"``."""
    return ("index " if len(items) == 1 else "indices ") + _and(items)


def _be(items):
    return "is" if len(items) == 1 else "are"


def _number(value):
    """An int or a Fraction for the reader: ``2``, ``−1``, ``3/2 = 1.5``, ``5/3 ≈ 1.667``."""
    value = Fraction(value)
    text = str(value).replace("-", "−")
    if value.denominator == 1:
        return text
    decimal = f"{float(value):.4g}"
    sign = "=" if Fraction(decimal) == value else "≈"
    return f"{text} {sign} {decimal.replace('-', '−')}"


def _plural(count, word):
    return f"{count} {word}" + ("" if count == 1 else "s")
