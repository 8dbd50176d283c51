"""Policy profiles and the rolling-window arithmetic (DESIGN §1). Pure: no I/O, no clock.

The cap window is half-open: an entry at time `a` counts for a check at time `t` iff
`t - window < a <= t`. A new entry at `a` is allowed iff every window containing `a` — that
is, every window ending at some `t` with `a <= t < a + window` — stays within the cap in
force at its end. Usage only rises at entry times and the cap only changes at permission
boundaries, so those instants (and `a` itself) are the only ends that need checking.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

DAY = timedelta(days=1)
# The largest cap, approved quantity or count a user may state: far above anything real, and
# exact in every JSON reader and in the ledger's BIGINT columns.
MAX_QUANTITY = 2**53 - 1


def micros(span: timedelta) -> int:
    """A span in whole microseconds, the precision of DuckDB's TIMESTAMP and INTERVAL."""
    return span // timedelta(microseconds=1)


@dataclass(frozen=True)
class Profile:
    name: str
    version: str
    source: str
    post_id_cap: int | None  # Post IDs per entity per window; None = unlimited
    window: timedelta
    objects_per_person: int  # manual Post/User objects per person per `object_window`
    object_window: timedelta
    # "rolling": any 24 hours (t - 24 h, t], the conservative reading; "utc-day": calendar days.
    object_days: str = "rolling"
    # Recipients of an ID in a deletion notice must be told within this long of its receipt.
    notice_deadline: timedelta = DAY
    # The period in which the text of X's this profile reads was in force (`until` None: still).
    # A delivery is judged by the text in force at its time; profiles of one text are readings
    # of it, between which `quota policy use` chooses.
    in_force_from: datetime = datetime(2006, 1, 1, tzinfo=UTC)
    in_force_until: datetime | None = None

    def in_force(self, t: datetime) -> bool:
        return self.in_force_from <= t and (self.in_force_until is None or t < self.in_force_until)

    def period(self) -> str:
        until = "now" if self.in_force_until is None else f"{self.in_force_until:%Y-%m-%d}"
        return f"{self.in_force_from:%Y-%m-%d} to {until}"


# When the Policy's current text (500 objects a person a day) replaced the older "restricted use
# cases" page (50,000): X's pages give no date, so this is a reading (see README); the 30-day cap
# of 1,500,000 Post IDs, in both, appeared on 2017-06-18.
CURRENT_TEXT_FROM = datetime(2023, 5, 1, tzinfo=UTC)
CAP_FROM = datetime(2017, 6, 18, tzinfo=UTC)


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            name="x-developer-policy",
            version="2026-01",
            source="X Developer Policy, Content redistribution",
            post_id_cap=1_500_000,
            window=30 * DAY,
            objects_per_person=500,
            object_window=DAY,
            in_force_from=CURRENT_TEXT_FROM,
        ),
        Profile(
            name="x-developer-policy-utc-day",
            version="2026-01",
            source="X Developer Policy, Content redistribution; manual objects counted per UTC calendar day",
            post_id_cap=1_500_000,
            window=30 * DAY,
            objects_per_person=500,
            object_window=DAY,
            object_days="utc-day",
            in_force_from=CURRENT_TEXT_FROM,
        ),
        Profile(
            name="x-restricted-use-cases",
            version="2023-legacy",
            # That page's 50,000 objects a day. What it says of academic IDs does not lift an
            # exemption's approved quantity: that is X's letter, which no profile can change.
            source="X 'restricted use cases' page (older; disagrees with the Policy)",
            post_id_cap=1_500_000,
            window=30 * DAY,
            objects_per_person=50_000,
            object_window=DAY,
            in_force_from=CAP_FROM,
            in_force_until=CURRENT_TEXT_FROM,
        ),
    )
}
DEFAULT_PROFILE = "x-developer-policy"


def judging(chosen: Profile, at: datetime, imported: bool = False) -> Profile:
    """The profile an entry at `at` is judged by when `chosen` is the reading `quota policy use`
    chose: it, if its text was in force at `at`; for a delivery (now), else the default; for an
    imported past distribution, else the profile of the text in force at its date (none before
    the cap existed: then `chosen`, the cautious side)."""
    if chosen.in_force(at):
        return chosen
    if not imported:
        return PROFILES[DEFAULT_PROFILE]
    older = sorted(p.name for p in PROFILES.values() if p.in_force(at))
    return PROFILES[older[0]] if older else chosen


@dataclass(frozen=True)
class Entry:
    """Post IDs delivered (or reserved) to one entity at one instant."""

    at: datetime
    posts: int


@dataclass(frozen=True)
class Permission:
    """X's written permission: cap `cap` for windows ending in [start, until)."""

    ref: str
    cap: int
    start: datetime
    until: datetime


@dataclass(frozen=True)
class Window:
    end: datetime
    used: int  # already recorded in the window ending at `end`
    cap: int | None


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    worst: Window  # the window with the least headroom after adding the request
    requested: int

    @property
    def over_by(self) -> int:
        if self.worst.cap is None:
            return 0
        return max(0, self.worst.used + self.requested - self.worst.cap)


def cap_at(t: datetime, base: int | None, permissions: Iterable[Permission]) -> int | None:
    """The cap for the window ending at `t`: the profile's, or the highest permission in force."""
    caps = [p.cap for p in permissions if p.start <= t < p.until]
    if base is None:
        return None
    return max([base, *caps])


def used_at(t: datetime, entries: Iterable[Entry], window: timedelta) -> int:
    return sum(e.posts for e in entries if t - window < e.at <= t)


def check(
    entries: Sequence[Entry],
    permissions: Sequence[Permission],
    base_cap: int | None,
    window: timedelta,
    at: datetime,
    posts: int,
) -> Verdict:
    """May `posts` more Post IDs be recorded at `at`? Examines every window containing `at`."""
    horizon = at + window
    ends = {at}
    ends.update(e.at for e in entries if at < e.at < horizon)
    for p in permissions:
        ends.update(x for x in (p.start, p.until) if at < x < horizon)
    worst: Window | None = None
    worst_room: float = float("inf")
    for t in sorted(ends):
        w = Window(t, used_at(t, entries, window), cap_at(t, base_cap, permissions))
        room = float("inf") if w.cap is None else w.cap - w.used - posts
        if worst is None or room < worst_room:
            worst, worst_room = w, room
    assert worst is not None
    return Verdict(worst_room >= 0, worst, posts)


def windows_over(
    entries: Sequence[Entry], permissions: Sequence[Permission], base_cap: int | None, window: timedelta
) -> Iterator[Window]:
    """Every window `(t - window, t]` holding more Post IDs than its cap, earliest first. Usage
    peaks where an entry lands and the cap drops where a permission ends: those ends are all
    that can be over."""
    if base_cap is None:
        return
    ordered = sorted(entries, key=lambda e: e.at)
    times = [e.at for e in ordered]
    totals = [0]
    for e in ordered:
        totals.append(totals[-1] + e.posts)
    for t in sorted(set(times) | {p.until for p in permissions}):
        used = totals[bisect_right(times, t)] - totals[bisect_right(times, t - window)]
        cap = cap_at(t, base_cap, permissions)
        if cap is not None and used > cap:
            yield Window(t, used, cap)


def next_free_at(
    entries: Sequence[Entry],
    permissions: Sequence[Permission],
    base_cap: int | None,
    window: timedelta,
    at: datetime,
    need: int,
) -> datetime | None:
    """The earliest instant >= `at` at which `need` more Post IDs could be recorded, or None.

    Only instants where something changes can be the answer: `at`, an entry leaving its
    window (`e.at + window`), or a permission starting.
    """
    candidates = {at}
    candidates.update(e.at + window for e in entries if e.at + window > at)
    candidates.update(p.start for p in permissions if p.start > at)
    for t in sorted(candidates):
        if check(entries, permissions, base_cap, window, t, need).allowed:
            return t
    return None


def next_growth_at(
    entries: Sequence[Entry], permissions: Sequence[Permission], base_cap: int | None, window: timedelta, at: datetime
) -> datetime | None:
    """When the headroom of the window ending at `at` next grows (an entry leaves or a raise starts)."""
    leaving = [e.at + window for e in entries if e.at <= at < e.at + window and e.posts > 0]
    raising = [p.start for p in permissions if p.start > at and p.cap > (cap_at(at, base_cap, permissions) or 0)]
    times = leaving + raising
    return min(times) if times else None


# ------------------------------------------------------------------ manual objects per person


def day_of(t: datetime) -> datetime:
    """The start of the UTC calendar day holding `t`."""
    return t.replace(hour=0, minute=0, second=0, microsecond=0)


def objects_used_at(t: datetime, entries: Iterable[Entry], profile: Profile) -> int:
    """Objects counted for a check at `t`: the rolling window ending at `t`, or all of `t`'s UTC day."""
    if profile.object_days == "utc-day":
        start = day_of(t)
        return sum(e.posts for e in entries if start <= e.at < start + DAY)
    return used_at(t, entries, profile.object_window)


def objects_check(entries: Sequence[Entry], profile: Profile, at: datetime, n: int) -> Verdict:
    """May `n` more manual objects go to one person at `at`? Entries count objects, not Post IDs."""
    if profile.object_days == "utc-day":
        used = objects_used_at(at, entries, profile)
        limit = profile.objects_per_person
        return Verdict(used + n <= limit, Window(day_of(at) + DAY, used, limit), n)
    return check(entries, [], profile.objects_per_person, profile.object_window, at, n)


def objects_room(entries: Sequence[Entry], profile: Profile, at: datetime) -> int:
    """How many objects could go to the person at `at` (every window containing `at` counted)."""
    worst = objects_check(entries, profile, at, 0).worst
    return max(0, (worst.cap or 0) - worst.used)


def objects_next_free_at(entries: Sequence[Entry], profile: Profile, at: datetime, need: int) -> datetime | None:
    """The earliest instant >= `at` at which `need` objects fit, or None when `need` is over the limit."""
    if need > profile.objects_per_person:
        return None
    if profile.object_days == "utc-day":
        t = at
        while not objects_check(entries, profile, t, need).allowed:
            t = day_of(t) + DAY
        return t
    return next_free_at(entries, [], profile.objects_per_person, profile.object_window, at, need)


def objects_growth_at(entries: Sequence[Entry], profile: Profile, at: datetime) -> datetime | None:
    """When the person's remaining objects next grow, or None when nothing is counted."""
    if profile.object_days == "utc-day":
        return day_of(at) + DAY if objects_used_at(at, entries, profile) else None
    return next_growth_at(entries, [], profile.objects_per_person, profile.object_window, at)
