"""MAGNET's operations on paths, and the hand edits of the Paths page.

Every operation is a pure function ``FSP -> FSP`` (the input is never changed) that validates its result and
appends a record of what it did to the path's provenance:
- ``merge``: consecutive turns joined into one turn of parallel calls, each join with probability p;
- ``insert``: a producer whose output a call needs is added, nested in the same turn or as an earlier turn
  (a long dependency);
- ``split``: a copy gains a turn where a required argument is withheld until the user supplies it
  (*miss param*), or where the needed function is not offered yet (*miss func*);
- ``long_context``: BFCL's augmentation, many distracting tools offered and long tool outputs asked for.
"""

from __future__ import annotations

import copy
import random
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from typing import Literal, overload

from fcstudio.paths.fsp import FSP, ArgSource, Call, PathError, Turn, _checked
from fcstudio.paths.index import Link, WalkIndex
from fcstudio.paths.sampling import _call


def _producer(src: ArgSource) -> tuple[int, int] | None:
    """The (turn, call) an output argument comes from; None for any other source or an incomplete reference."""
    if src.kind != "output" or src.turn is None or src.call is None:
        return None
    return src.turn, src.call


def _renumber(fsp: FSP, mapping: dict[tuple[int, int], tuple[int, int]]) -> None:
    for _, _, call in fsp.calls():
        for src in call.args.values():
            producer = _producer(src)
            if producer is not None and producer in mapping:
                src.turn, src.call = mapping[producer]


def merge(fsp: FSP, rng: random.Random, p: float = 0.3) -> FSP:
    """Join each pair of consecutive turns with probability p into one turn of parallel calls.

    A turn whose calls use an output of the previous turn is still merged (the calls become sequential
    within one assistant turn), as in MAGNET; every call is kept, in order.
    """
    out = copy.deepcopy(fsp)
    new_turns: list[Turn] = []
    mapping: dict[tuple[int, int], tuple[int, int]] = {}
    joined = []
    for t, turn in enumerate(out.turns):
        mergeable = new_turns and turn.kind == "normal" and new_turns[-1].kind == "normal" and rng.random() < p
        if mergeable:
            base = len(new_turns[-1].calls)
            for c in range(len(turn.calls)):
                mapping[(t, c)] = (len(new_turns) - 1, base + c)
            new_turns[-1].calls.extend(turn.calls)
            joined.append(t)
        else:
            for c in range(len(turn.calls)):
                mapping[(t, c)] = (len(new_turns), c)
            new_turns.append(turn)
    out.turns = new_turns
    _renumber(out, mapping)
    return _checked(out, {"op": "merge", "p": p, "joined_turns": joined})


class _FeedOptions:
    """insert's choices, in order: per call (turn, call), its producers by id whose parameter the user still gives.

    Counted and indexed without being listed, since a hub tool has thousands of producers: a call's count is
    its producers minus those feeding an argument already sourced otherwise, and the k-th choice is found
    by bisection over those few blocked position lists. ``rng.choice`` only takes ``len`` and one item.
    """

    def __init__(self, fsp: FSP, index: WalkIndex):
        self.parts: list[tuple[int, int, tuple[tuple[str, Link], ...], list[tuple[int, ...]]]] = []
        self.ends: list[int] = []  # running count of choices up to and including each part
        total = 0
        for t, c, call in fsp.calls():
            producers = index.producers_of(call.tool_id)
            if not producers:
                continue
            blocked = [index.feeding_positions(call.tool_id, a) for a, s in call.args.items() if s.kind != "user"]
            blocked = [b for b in blocked if b]
            count = len(producers) - sum(map(len, blocked))
            if count:
                total += count
                self.parts.append((t, c, producers, blocked))
                self.ends.append(total)

    def __len__(self) -> int:
        return self.ends[-1] if self.ends else 0

    def __getitem__(self, k: int) -> tuple[int, int, str, Link]:
        if not 0 <= k < len(self):
            raise IndexError(k)
        part = bisect_right(self.ends, k)
        t, c, producers, blocked = self.parts[part]
        k -= self.ends[part - 1] if part else 0
        lo, hi = k, len(producers) - 1  # the smallest position with k + 1 unblocked positions up to it
        while lo < hi:
            mid = (lo + hi) // 2
            if mid + 1 - sum(bisect_right(b, mid) for b in blocked) > k:
                hi = mid
            else:
                lo = mid + 1
        producer, link = producers[lo]
        return t, c, producer, link


def insert(fsp: FSP, index: WalkIndex, rng: random.Random, *, nested: bool = True) -> FSP:
    """Add a producer whose output feeds an existing call: nested in the same turn, or as an earlier turn.

    The producer is drawn uniformly from every (call, producer) pair whose link feeds an argument the user
    would otherwise give, in call order and then producer id.
    """
    out = copy.deepcopy(fsp)
    options = _FeedOptions(out, index)
    if not options:
        return _checked(out, {"op": "insert", "nested": nested, "added": None, "reason": "no producer feeds any call"})
    t, c, producer, (field, param) = rng.choice(options)
    new_call = _call(index, producer)
    if nested:
        mapping = {(t, k): (t, k + 1) for k in range(c, len(out.turns[t].calls))}
        _renumber(out, mapping)
        out.turns[t].calls.insert(c, new_call)
        out.turns[t].calls[c + 1].args[param] = ArgSource(kind="output", turn=t, call=c, field=field)
        where = {"turn": t, "call": c}
    else:
        target = rng.randint(0, t)
        mapping = {
            (tt, k): (tt + 1, k) for tt in range(target, len(out.turns)) for k in range(len(out.turns[tt].calls))
        }
        _renumber(out, mapping)
        out.turns.insert(target, Turn(calls=[new_call], note="inserted producer (long dependency)"))
        out.turns[t + 1].calls[c].args[param] = ArgSource(kind="output", turn=target, call=0, field=field)
        where = {"turn": target, "call": 0}
    return _checked(
        out, {"op": "insert", "nested": nested, "added": producer, "feeds": {"param": param, "field": field}, **where}
    )


def split(fsp: FSP, rng: random.Random, *, kind: Literal["miss_param", "miss_func"]) -> FSP:
    """A copy with an extra turn: a withheld required argument (miss param) or a function not offered (miss func)."""
    out = copy.deepcopy(fsp)

    def self_contained(t: int, call: Call) -> bool:  # its inputs come from earlier turns, so it can stand alone
        return all(s.kind != "output" or (s.turn is not None and s.turn < t) for s in call.args.values())

    if kind == "miss_param":
        options = [
            (t, c, a)
            for t, c, call in out.calls()
            if out.turns[t].kind == "normal" and self_contained(t, call)
            for a, s in call.args.items()
            if s.kind == "user"
        ]
        if not options:
            return _checked(
                out, {"op": "split", "kind": kind, "at": None, "reason": "no user-given argument to withhold"}
            )
        t, c, arg = rng.choice(options)
        asking = copy.deepcopy(out.turns[t].calls[c])
        asking.args[arg] = ArgSource(kind="withheld")
        mapping = {(tt, k): (tt + 1, k) for tt in range(t, len(out.turns)) for k in range(len(out.turns[tt].calls))}
        _renumber(out, mapping)
        out.turns.insert(
            t, Turn(calls=[asking], kind="miss_param", note=f"{arg} withheld: the assistant must ask for it")
        )
        return _checked(out, {"op": "split", "kind": kind, "turn": t, "call": asking.name, "withheld": arg})

    def used_before(t: int, call: Call) -> bool:  # a function already called cannot be "not offered" later
        return any(other.tool_id == call.tool_id for tt, _, other in out.calls() if tt < t)

    calls = [
        (t, c)
        for t, c, call in out.calls()
        if out.turns[t].kind == "normal" and self_contained(t, call) and not used_before(t, call)
    ]
    if not calls:
        return _checked(out, {"op": "split", "kind": kind, "at": None, "reason": "no call"})
    t, c = rng.choice(calls)
    missing = copy.deepcopy(out.turns[t].calls[c])
    mapping = {(tt, k): (tt + 1, k) for tt in range(t, len(out.turns)) for k in range(len(out.turns[tt].calls))}
    _renumber(out, mapping)
    out.turns.insert(
        t,
        Turn(
            calls=[missing], kind="miss_func", note=f"{missing.name} is not offered: the assistant must say it cannot"
        ),
    )
    if missing.tool_id not in out.removed_tools:
        out.removed_tools.append(missing.tool_id)
    return _checked(out, {"op": "split", "kind": kind, "turn": t, "missing": missing.name})


class _SortedWithout(Sequence[str]):
    """A sorted tuple with a few items left out, indexed without copying it (``rng.sample`` only indexes)."""

    def __init__(self, items: tuple[str, ...], without: set[str]):
        self.items = items
        found = ((bisect_left(items, x), x) for x in without)
        self.gaps = sorted(i for i, x in found if i < len(items) and items[i] == x)

    def __len__(self) -> int:
        return len(self.items) - len(self.gaps)

    @overload
    def __getitem__(self, j: int) -> str: ...

    @overload
    def __getitem__(self, j: slice) -> list[str]: ...

    def __getitem__(self, j: int | slice) -> str | list[str]:
        if isinstance(j, slice):
            return [self[i] for i in range(*j.indices(len(self)))]
        if not 0 <= j < len(self):
            raise IndexError(j)
        for gap in self.gaps:  # the j-th kept item: step over every left-out position at or before it
            if gap > j:
                break
            j += 1
        return self.items[j]


def long_context(fsp: FSP, distractors: WalkIndex | list[str], rng: random.Random, n: int = 50) -> FSP:
    """BFCL's long context: offer ``n`` distracting tools besides the path's, and ask for long tool outputs.

    ``distractors`` is the pool (every tool of a ``WalkIndex``, or a list); the draw is uniform over the
    sorted pool minus the path's tools, and with an index it costs the same at any catalogue size.
    """
    out = copy.deepcopy(fsp)
    used = {call.tool_id for _, _, call in out.calls()}
    pool: Sequence[str]
    if isinstance(distractors, WalkIndex):
        pool = _SortedWithout(distractors.nodes, used | set(out.distractor_tools))
    else:
        pool = sorted(set(distractors) - used - set(out.distractor_tools))
    chosen = rng.sample(pool, min(n, len(pool)))
    out.distractor_tools.extend(chosen)
    out.long_outputs = True
    return _checked(out, {"op": "long_context", "distractors": len(chosen)})


# -- hand edits (the Paths page and CLI): each returns a new path, references kept consistent ---------


def _positions(fsp: FSP) -> list[tuple[int, int]]:
    return [(t, c) for t, turn in enumerate(fsp.turns) for c in range(len(turn.calls))]


def _rebuild(
    out: FSP,
    order: Sequence[Sequence[tuple[int, int] | None]],
    calls: dict[tuple[int, int], Call],
    kinds: list[Turn],
) -> FSP:
    """Lay calls out as ``order`` (old positions per new turn) and renumber every output reference."""
    mapping: dict[tuple[int, int], tuple[int, int]] = {}
    new_turns = []
    for t, (positions, template) in enumerate(zip(order, kinds, strict=True)):
        turn = Turn(kind=template.kind, note=template.note)
        for old in positions:
            if old is not None:
                mapping[old] = (t, len(turn.calls))
                turn.calls.append(calls[old])
        new_turns.append(turn)
    out.turns = [t for t in new_turns if t.calls]
    shift = {}
    for new_t, kept in enumerate([t for t, turn in enumerate(new_turns) if turn.calls]):
        shift[kept] = new_t
    for old, (t, c) in list(mapping.items()):
        mapping[old] = (shift.get(t, t), c)
    for _, _, call in out.calls():
        for src in call.args.values():
            if src.kind == "output":
                producer = _producer(src)
                target = mapping.get(producer) if producer is not None else None
                if target is None:  # its producer was removed: the user gives the value instead
                    src.kind, src.turn, src.call, src.field = "user", None, None, None
                else:
                    src.turn, src.call = target
    return out


def remove_call(fsp: FSP, turn: int, call: int) -> FSP:
    """Drop one call; arguments it fed fall back to the user; an emptied turn disappears."""
    out = copy.deepcopy(fsp)
    calls = {pos: c for pos, c in zip(_positions(out), (c for _, _, c in out.calls()), strict=True)}
    order = [
        [(t, c) if (t, c) != (turn, call) else None for c in range(len(tt.calls))] for t, tt in enumerate(out.turns)
    ]
    result = _rebuild(out, order, calls, out.turns)
    return _checked(result, {"op": "edit", "action": "remove_call", "turn": turn, "call": call})


def move_turn(fsp: FSP, turn: int, delta: int) -> FSP:
    """Move a turn up (delta < 0) or down; a move that would feed a call from a later one is refused."""
    out = copy.deepcopy(fsp)
    target = max(0, min(len(out.turns) - 1, turn + delta))
    calls = {pos: c for pos, c in zip(_positions(out), (c for _, _, c in out.calls()), strict=True)}
    order = [[(t, c) for c in range(len(tt.calls))] for t, tt in enumerate(out.turns)]
    templates = list(out.turns)
    order.insert(target, order.pop(turn))
    templates.insert(target, templates.pop(turn))
    result = _rebuild(out, order, calls, templates)
    return _checked(result, {"op": "edit", "action": "move_turn", "turn": turn, "to": target})


def set_source(fsp: FSP, turn: int, call: int, arg: str, source: ArgSource) -> FSP:
    """Say where one argument comes from (validated: an output must come from an earlier call)."""
    out = copy.deepcopy(fsp)
    target = out.turns[turn].calls[call]
    if source.kind == "withheld":
        out.turns[turn].kind = "miss_param"
    target.args[arg] = source
    return _checked(
        out, {"op": "edit", "action": "set_source", "turn": turn, "call": call, "arg": arg, "source": source.kind}
    )


def add_call(fsp: FSP, turn: int, tool_id: str, name: str, required: list[str]) -> FSP:
    """Append a call to a turn (``turn == len(turns)`` starts a new last turn); its arguments come from the user."""
    out = copy.deepcopy(fsp)
    if turn == len(out.turns):
        out.turns.append(Turn())
    if not 0 <= turn < len(out.turns):
        raise PathError(f"turn {turn} does not exist")
    out.turns[turn].calls.append(Call(tool_id=tool_id, name=name, args={p: ArgSource() for p in required}))
    return _checked(out, {"op": "edit", "action": "add_call", "turn": turn, "tool": name})
