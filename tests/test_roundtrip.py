"""Any unsigned 64-bit ID survives every input format byte for byte, and stripping is idempotent."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import examples, manifest, quota
from formats import WRITERS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quota.ids import U64_MAX, spreadsheet_rounded

# A list or CSV whose ID has zeros past its 15th digit is refused as spreadsheet-rounded (test_bad_input).
u64s = st.integers(min_value=0, max_value=U64_MAX).map(str).filter(lambda v: not spreadsheet_rounded(v))
# Bias toward the interesting: 19-20 digit IDs past 2^53, the extremes, and repeats.
ids = st.one_of(u64s, st.sampled_from(["0", "1", str(2**53 + 1), str(U64_MAX), "1234567890123456789"]))
pairs_st = st.lists(st.tuples(ids, ids), min_size=1, max_size=12)


def expected(values: list[str]) -> str:
    return "".join(v + "\n" for v in sorted(set(values), key=int))


@pytest.mark.parametrize("fmt", sorted(WRITERS))
@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=pairs_st)
def test_ids_survive_byte_for_byte(fmt: str, pairs: list[tuple[str, str]]) -> None:
    writer, name, has_authors, kind = WRITERS[fmt]
    work = Path(tempfile.mkdtemp(prefix="rt-"))
    try:
        src = work / name
        writer(src, pairs)
        kinds = f"{kind},user" if has_authors else kind
        r = quota("strip", src, "-o", work / "out", "--ids", kinds, "-q")
        assert r.exit_code == 0, r.stderr
        assert (work / "out" / f"{kind}_ids.txt").read_text() == expected([p for p, _ in pairs])
        if has_authors:
            assert (work / "out" / "user_ids.txt").read_text() == expected([u for _, u in pairs])
        doc = manifest(work / "out")
        assert doc["inputs"][0]["format"] == fmt.removesuffix("-gz")
    finally:
        shutil.rmtree(work)


@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(ids, max_size=40).filter(bool))
def test_stripping_an_id_list_is_idempotent(values: list[str]) -> None:
    work = Path(tempfile.mkdtemp(prefix="idem-"))
    try:
        (work / "ids.txt").write_text("".join(v + "\n" for v in values))
        assert quota("strip", work / "ids.txt", "-o", work / "a", "-q").exit_code == 0
        once = (work / "a" / "post_ids.txt").read_bytes()
        assert quota("strip", work / "a" / "post_ids.txt", "-o", work / "b", "-q").exit_code == 0
        assert (work / "b" / "post_ids.txt").read_bytes() == once == expected(values).encode()
    finally:
        shutil.rmtree(work)
