"""X IDs: decimal strings of unsigned 64-bit integers, checked without ever using a float."""

from __future__ import annotations

import re
from enum import StrEnum

U64_MAX = 2**64 - 1
_CANONICAL = re.compile(r"0|[1-9][0-9]{0,19}")
_FLOATISH = re.compile(r"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][+-]?[0-9]+)?")


class Kind(StrEnum):
    POST = "post"
    USER = "user"
    DM = "dm"


class JSONInt(str):
    """A JSON integer literal kept as its text, so no digit is lost."""


class JSONFloat(str):
    """A JSON number with a fraction or exponent: never an acceptable ID."""


def quoted(value: object, limit: int = 60) -> str:
    """`value` as Python quotes it, cut short: an error message names a bad value, it does not
    reprint a whole JSON object."""
    text = repr(value) if not isinstance(value, JSONInt | JSONFloat) else str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def id_problem(value: object) -> str | None:
    """Why `value` is not a valid ID, or None when it is one.

    Accepts JSON strings and JSON integer literals holding the canonical decimal form
    (no sign, no leading zero, no spaces, at most 2^64 - 1).
    """
    if value is None:
        return "the ID is missing (null)"
    if isinstance(value, JSONFloat):
        return f"ID {quoted(value)} is a JSON floating-point number, which cannot hold a 64-bit ID exactly"
    if isinstance(value, bool) or not isinstance(value, str):
        return f"ID {quoted(value)} is a JSON {type(value).__name__}, not a string of digits"
    if value == "":
        return "the ID is empty"
    if _CANONICAL.fullmatch(value):
        if len(value) == 20 and int(value) > U64_MAX:
            return f"ID {quoted(value)} is larger than the unsigned 64-bit maximum"
        return None
    if value != value.strip():
        return f"ID {quoted(value)} has spaces around it"
    if not value.isascii():
        return f"ID {quoted(value)} is not a decimal unsigned 64-bit integer"
    if value.startswith("-") and value[1:].isdigit():
        return f"ID {quoted(value)} is negative"
    if value.isdigit():
        if value.startswith("0"):
            return f"ID {quoted(value)} has a leading zero"
        return f"ID {quoted(value)} is larger than the unsigned 64-bit maximum"
    if _FLOATISH.fullmatch(value):
        return f"ID {quoted(value)} is written as a float or in scientific notation"
    return f"ID {quoted(value)} is not a decimal unsigned 64-bit integer"


def spreadsheet_rounded(value: str) -> bool:
    """Whether a canonical ID looks rounded by a spreadsheet: Excel keeps 15 significant
    digits, so an 18- or 19-digit ID it stored as a number comes back with every digit past
    the 15th a zero. One real ID in 1,000 of 18 digits (10,000 of 19) ends so by chance: an
    input is judged by how many of its IDs do (quota.stripping, whose SQL says the same)."""
    return 18 <= len(value) <= 20 and value[15:] == "0" * (len(value) - 15)
