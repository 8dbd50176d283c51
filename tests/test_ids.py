"""ID checking: every unsigned 64-bit integer passes, every other spelling is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quota.ids import U64_MAX, JSONFloat, JSONInt, id_problem

u64 = st.integers(min_value=0, max_value=U64_MAX)


@given(u64)
def test_every_u64_is_an_id(n: int) -> None:
    assert id_problem(str(n)) is None
    assert id_problem(JSONInt(str(n))) is None


@given(st.integers(min_value=U64_MAX + 1, max_value=10**30))
def test_above_u64_is_refused(n: int) -> None:
    assert "larger than the unsigned 64-bit maximum" in id_problem(str(n))


@given(st.integers(min_value=1, max_value=U64_MAX))
def test_negative_is_refused(n: int) -> None:
    assert "negative" in id_problem(f"-{n}")


@given(st.integers(min_value=1, max_value=U64_MAX), st.integers(min_value=1, max_value=3))
def test_leading_zeros_are_refused(n: int, zeros: int) -> None:
    assert "leading zero" in id_problem("0" * zeros + str(n))


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("1.5e+18", "scientific"),
        ("1234567890123456800.0", "float"),
        ("1E18", "scientific"),
        ("12.0", "float"),
        (" 12", "spaces"),
        ("12\t", "spaces"),
        ("+12", "float"),  # a sign is not part of an ID
        ("", "empty"),
        ("abc", "not a decimal"),
        ("1_000", "not a decimal"),
        ("١٢٣", "not a decimal"),  # Arabic-Indic digits: str.isdigit() is true, int() accepts them
        (None, "missing"),
        (True, "bool"),
        ({"a": 1}, "dict"),
    ],
)
def test_bad_spellings(value: object, words: str) -> None:
    problem = id_problem(value)
    assert problem is not None and words in problem


def test_json_float_is_refused_even_if_integral() -> None:
    assert "floating-point" in id_problem(JSONFloat("1500000000000000000.0"))
    assert "floating-point" in id_problem(JSONFloat("1e3"))
