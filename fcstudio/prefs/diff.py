"""How the two continuations of a pair differ, and whether they differ only trivially.

An annotator comparing two long assistant turns side by side misses a one-argument change; the page marks it
from this structured diff instead:
- calls: matched across the sides (identical first, then by function name in order), each ``same``, ``changed``
  (with the arguments that differ, and their values on each side), ``only_a`` or ``only_b``;
- text: the assistant text of each side cut into segments, the words that differ marked (difflib over word
  tokens).

A pair is *trivial* when both sides make the same calls with the same arguments and their text differs only
inside an identifier the tools returned (a confirmation, a reservation or message id): "confirmation 19" vs
"confirmation 9" teaches a model nothing about calling functions. Numbers that carry meaning (a price, a time)
are not identifiers, so a summary that misstates them stays a real ``wrong_summary`` pair.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any

Segments = list[tuple[str, bool]]  # (text, differs) pieces that concatenate to the side's text

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")
_ID_KEY = re.compile(r"(?:^|_)(?:id|ids|number|no|confirmation|reference|ref|code)$", re.IGNORECASE)
_ID_ISH = re.compile(r"[\w.\-]*")
MAX_TOKENS = 6000  # beyond this a side is diffed line by line (difflib is quadratic in the worst case)


@dataclass(frozen=True)
class ArgChange:
    name: str
    kind: str  # "changed", "only_a" (b lacks it) or "only_b"
    a: Any = None
    b: Any = None


@dataclass(frozen=True)
class CallChange:
    kind: str  # "same", "changed", "only_a" or "only_b"
    name: str
    a_args: dict[str, Any] | None = None
    b_args: dict[str, Any] | None = None
    args: list[ArgChange] = field(default_factory=list)  # for "changed": the arguments that differ


@dataclass(frozen=True)
class PairDiff:
    calls: list[CallChange]
    text_a: Segments
    text_b: Segments

    @property
    def same_calls(self) -> bool:
        return all(c.kind == "same" for c in self.calls)

    @property
    def same_text(self) -> bool:
        return not any(d for _, d in self.text_a + self.text_b)

    def summary(self, names: tuple[str, str] = ("A", "B")) -> list[str]:
        """One line per difference, in words, the sides called ``names`` (a CLI or a caption shows these)."""
        a, b = names
        lines = []
        for c in self.calls:
            if c.kind == "only_a":
                lines.append(f"only {a} calls {c.name}")
            elif c.kind == "only_b":
                lines.append(f"only {b} calls {c.name}")
            elif c.kind == "changed":
                parts = [
                    f"{x.name}: {_show(x.a)} → {_show(x.b)}"
                    if x.kind == "changed"
                    else f"{x.name} only in {a if x.kind == 'only_a' else b}"
                    for x in c.args
                ]
                lines.append(f"{c.name}: " + "; ".join(parts))
        if not self.same_text:
            lines.append("the text differs")
        return lines


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _args(raw: Any) -> dict[str, Any]:
    """A call's arguments as a dict; unusable text is kept whole under ``(arguments)`` so it still compares."""
    try:
        parsed = json.loads(raw) if isinstance(raw, str) and raw.strip() else raw or {}
    except json.JSONDecodeError:
        return {"(arguments)": raw}
    return parsed if isinstance(parsed, dict) else {"(arguments)": parsed}


def calls_of(messages: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(name, arguments) of every call the side makes, in order."""
    return [
        (tc["function"]["name"], _args(tc["function"].get("arguments")))
        for m in messages
        for tc in m.get("tool_calls") or []
    ]


def _key(call: tuple[str, dict[str, Any]]) -> str:
    return call[0] + json.dumps(call[1], sort_keys=True, ensure_ascii=False)


def arg_changes(a: dict[str, Any], b: dict[str, Any]) -> list[ArgChange]:
    out = []
    for name in [*a, *(k for k in b if k not in a)]:
        if name not in b:
            out.append(ArgChange(name, "only_a", a=a[name]))
        elif name not in a:
            out.append(ArgChange(name, "only_b", b=b[name]))
        elif _show(a[name]) != _show(b[name]) and a[name] != b[name]:
            out.append(ArgChange(name, "changed", a=a[name], b=b[name]))
    return out


def call_changes(a_msgs: list[dict[str, Any]], b_msgs: list[dict[str, Any]]) -> list[CallChange]:
    """Calls matched across the sides: identical ones first, then the same function in order; the rest are
    one side's only. Listed in A's order, B's unmatched calls last."""
    a, b = calls_of(a_msgs), calls_of(b_msgs)
    match: dict[int, int] = {}
    free = list(range(len(b)))
    for i, call in enumerate(a):
        j = next((j for j in free if _key(b[j]) == _key(call)), None)
        if j is not None:
            match[i] = j
            free.remove(j)
    for i, call in enumerate(a):
        if i not in match:
            j = next((j for j in free if b[j][0] == call[0]), None)
            if j is not None:
                match[i] = j
                free.remove(j)
    out = []
    for i, (name, args) in enumerate(a):
        if i not in match:
            out.append(CallChange("only_a", name, a_args=args))
            continue
        other = b[match[i]][1]
        changes = arg_changes(args, other)
        out.append(CallChange("changed" if changes else "same", name, a_args=args, b_args=other, args=changes))
    out += [CallChange("only_b", b[j][0], b_args=b[j][1]) for j in free]
    return out


def assistant_text(messages: list[dict[str, Any]]) -> str:
    """The side's assistant words, one paragraph per message that has any."""
    return "\n\n".join(m["content"] for m in messages if m.get("role") == "assistant" and m.get("content"))


def _tokens(text: str) -> list[str]:
    found = _TOKEN.findall(text)
    return found if len(found) <= MAX_TOKENS else text.splitlines(keepends=True)


def _opcodes(a: list[str], b: list[str]) -> list[tuple[str, int, int, int, int]]:
    return list(difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes())


def _segments(tokens: list[str], ranges: list[tuple[int, int, bool]]) -> Segments:
    out: Segments = []
    for lo, hi, differs in ranges:
        text = "".join(tokens[lo:hi])
        if not text:
            continue
        if out and out[-1][1] == differs:
            out[-1] = (out[-1][0] + text, differs)
        else:
            out.append((text, differs))
    return out


def text_segments(a: str, b: str) -> tuple[Segments, Segments]:
    """Each side's text as segments, the words that differ from the other side marked."""
    ta, tb = _tokens(a), _tokens(b)
    ra, rb = [], []
    for op, i1, i2, j1, j2 in _opcodes(ta, tb):
        ra.append((i1, i2, op != "equal"))
        rb.append((j1, j2, op != "equal"))
    return _segments(ta, ra), _segments(tb, rb)


def pair_diff(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> PairDiff:
    """How continuation ``b`` differs from ``a`` (the page passes them in the order it shows them)."""
    text_a, text_b = text_segments(assistant_text(a), assistant_text(b))
    return PairDiff(call_changes(a, b), text_a, text_b)


# -- trivial pairs --------------------------------------------------------------------------------------


def _id_values(value: Any, out: list[str]) -> None:
    """Every value under an identifier-like key (``*_id``, ``confirmation``, ``*_number``, ...) of a tool output."""
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(k, str) and _ID_KEY.search(k) and isinstance(v, (str, int)) and not isinstance(v, bool):
                out.append(str(v))
            else:
                _id_values(v, out)
    elif isinstance(value, list):
        for v in value:
            _id_values(v, out)


def id_spans(messages: list[dict[str, Any]], text: str) -> list[tuple[int, int]]:
    """Where in ``text`` the identifiers this side's tools returned appear (character ranges)."""
    values: list[str] = []
    for m in messages:
        if m.get("role") == "tool":
            try:
                _id_values(json.loads(m.get("content") or ""), values)
            except json.JSONDecodeError:
                continue
    spans = []
    for needle in {x for v in values for x in (v, json.dumps(v, ensure_ascii=True)[1:-1]) if x}:
        at = text.find(needle)
        while at >= 0:
            spans.append((at, at + len(needle)))
            at = text.find(needle, at + 1)
    return spans


def _inside(lo: int, hi: int, spans: list[tuple[int, int]]) -> bool:
    return any(s <= lo and hi <= e for s, e in spans)


def is_trivial(chosen: list[dict[str, Any]], rejected: list[dict[str, Any]]) -> bool:
    """Same calls with the same arguments, and the text differs only within identifiers a tool returned
    (on either side: a tool that returned another id, or a summary that misquotes one)."""
    if sorted(map(_key, calls_of(chosen))) != sorted(map(_key, calls_of(rejected))):
        return False
    a, b = assistant_text(chosen), assistant_text(rejected)
    if a == b:
        return True
    ta, tb = _TOKEN.findall(a), _TOKEN.findall(b)
    oa, ob = _offsets(ta), _offsets(tb)
    sa, sb = id_spans(chosen, a), id_spans(rejected, b)
    for op, i1, i2, j1, j2 in _opcodes(ta, tb):
        if op == "equal":
            continue
        wa, wb = "".join(ta[i1:i2]), "".join(tb[j1:j2])
        in_a = _inside(oa[i1], oa[i2], sa)
        in_b = _inside(ob[j1], ob[j2], sb)
        if not ((in_a and _ID_ISH.fullmatch(wb)) or (in_b and _ID_ISH.fullmatch(wa))):
            return False
    return True


def _offsets(tokens: list[str]) -> list[int]:
    """Character offset of each token, plus the end."""
    out = [0]
    for t in tokens:
        out.append(out[-1] + len(t))
    return out
