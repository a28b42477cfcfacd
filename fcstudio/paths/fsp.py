"""Function signature paths (FSP, MAGNET): turns of function calls with where each argument comes from.

The models, their consistency rules (``validate``: an argument fed by a later call, a withheld argument outside
a miss-param turn, ...), the canonical form two equal paths share (``canonical_key``) and ``_checked``, which every
operation ends with: it records what the operation did in the path's provenance and refuses an inconsistent result.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, Field

SourceKind = Literal["user", "output", "withheld"]
TurnKind = Literal["normal", "miss_param", "miss_func"]


class ArgSource(BaseModel):
    """Where an argument's value comes from: the user, an earlier call's output, or held back."""

    kind: SourceKind = "user"
    turn: int | None = None  # for "output": the producing call's turn and position
    call: int | None = None
    field: str | None = None


class Call(BaseModel):
    tool_id: str
    name: str
    args: dict[str, ArgSource] = Field(default_factory=dict)


class Turn(BaseModel):
    calls: list[Call] = Field(default_factory=list)
    kind: TurnKind = "normal"
    note: str = ""


class FSP(BaseModel):
    turns: list[Turn] = Field(default_factory=list)
    removed_tools: list[str] = Field(default_factory=list, description="tools not offered (miss func)")
    distractor_tools: list[str] = Field(default_factory=list, description="extra tools offered (long context)")
    long_outputs: bool = False
    provenance: list[dict[str, Any]] = Field(default_factory=list)

    def calls(self) -> list[tuple[int, int, Call]]:
        return [(t, c, call) for t, turn in enumerate(self.turns) for c, call in enumerate(turn.calls)]


class PathError(ValueError):
    """An FSP that breaks a rule (an argument fed by a later call, an unknown tool, ...)."""


def validate(fsp: FSP, known_tools: set[str] | None = None) -> list[str]:
    """Human-readable problems; an empty list means the path is consistent."""
    problems = []
    for t, c, call in fsp.calls():
        where = f"turn {t} call {c} ({call.name})"
        if known_tools is not None and call.tool_id not in known_tools:
            problems.append(f"{where}: unknown tool {call.tool_id}")
        for arg, src in call.args.items():
            if src.kind == "output":
                if src.turn is None or src.call is None:
                    problems.append(f"{where}: argument {arg} comes from an output but names no call")
                elif (src.turn, src.call) >= (t, c):
                    problems.append(f"{where}: argument {arg} comes from a call that is not earlier")
                elif src.turn >= len(fsp.turns) or src.call >= len(fsp.turns[src.turn].calls):
                    problems.append(f"{where}: argument {arg} comes from a call that does not exist")
            if src.kind == "withheld" and fsp.turns[t].kind != "miss_param":
                problems.append(f"{where}: argument {arg} is withheld outside a miss-param turn")
        if call.tool_id in fsp.removed_tools and fsp.turns[t].kind != "miss_func":
            later = any(turn.kind == "miss_func" for turn in fsp.turns[:t])
            if not later:
                problems.append(f"{where}: calls a removed tool before any miss-func turn")
    if not fsp.turns:
        problems.append("the path has no turn")
    return problems


def canonical_form(fsp: FSP) -> str:
    """The path as what a model is trained on: turns with their kinds, calls by tool id, every argument's source,
    the tools held back or added, long outputs; key-sorted JSON. Notes, display names and provenance (how the
    path was made) are left out, so two walks that reach the same path are equal. Calls keep their order in a
    turn: calls of one turn may feed each other, so their order is part of the path."""
    turns = [
        [
            turn.kind,
            [
                [call.tool_id, {a: [s.kind, s.turn, s.call, s.field] for a, s in sorted(call.args.items())}]
                for call in turn.calls
            ],
        ]
        for turn in fsp.turns
    ]
    body = {
        "turns": turns,
        "removed": sorted(set(fsp.removed_tools)),
        "distractors": sorted(set(fsp.distractor_tools)),
        "long_outputs": fsp.long_outputs,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def canonical_key(fsp: FSP) -> str:
    """sha256 of ``canonical_form``: what ``fsp_paths.canonical`` stores and sampling looks up."""
    return hashlib.sha256(canonical_form(fsp).encode()).hexdigest()


def _checked(fsp: FSP, record: dict[str, Any]) -> FSP:
    fsp.provenance.append(record)
    problems = validate(fsp)
    if problems:
        raise PathError("; ".join(problems))
    return fsp
