"""BFCL multi-turn entries (question + ground truth) from a BFCL data folder, checked on the way in.

An entry is ``{"id", "category", "question", "initial_config", "involved_classes", "ground_truth",
"missed_function", "excluded_function"}``: the question file's line with its ``possible_answer/`` ground
truth. A malformed entry names its file and line; with ``bad`` given it is listed there and the rest are read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fcstudio.envs.bfcl.classes import CLASSES
from fcstudio.evals.bfcl_data import BfclDataError, _lines, category_files

MULTI_TURN = ("multi_turn_base", "multi_turn_miss_func", "multi_turn_miss_param", "multi_turn_long_context")


def category_of(entry_id: str) -> str:
    """BFCL's rule: the id without its trailing ``_<n>``."""
    return entry_id.rsplit("_", 1)[0]


def _problem(obj: dict[str, Any], answer: Any) -> str | None:
    classes = obj.get("involved_classes")
    if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
        return "'involved_classes' must be a list of class names"
    unknown = [c for c in classes if c not in CLASSES]
    if unknown:
        return f"unknown API class(es) {', '.join(unknown)}"
    if not isinstance(obj.get("initial_config", {}), dict):
        return "'initial_config' must be an object"
    question = obj.get("question")
    if not isinstance(question, list) or not all(isinstance(t, list) for t in question):
        return "'question' must be a list of turns (lists of messages)"
    if answer is None:
        return "no ground truth in possible_answer/"
    if not isinstance(answer, list) or not all(
        isinstance(t, list) and all(isinstance(c, str) for c in t) for t in answer
    ):
        return "ground truth must be a list of turns, each a list of call strings"
    if len(answer) != len(question):
        return f"ground truth has {len(answer)} turns, the question {len(question)}"
    missed = obj.get("missed_function", {})
    if not isinstance(missed, dict):
        return "'missed_function' must map a turn index to function names"
    return None


def load_entries(
    root: str | Path,
    categories: list[str] | None = None,
    *,
    ids: set[str] | None = None,
    limit: int | None = None,
    bad: list[tuple[str, str]] | None = None,
) -> list[dict[str, Any]]:
    """Entries of ``categories`` (default: the four multi-turn ones present), optionally only ``ids``."""
    for category in categories or ():
        if category not in MULTI_TURN:
            raise BfclDataError(f"{category}: not a multi-turn category (one of {', '.join(MULTI_TURN)})")
    entries: list[dict[str, Any]] = []
    for category, path, _, answers in category_files(root, categories, MULTI_TURN):
        taken = 0
        for n, obj in _lines(path):
            if limit is not None and taken >= limit:
                break
            if ids is not None and obj["id"] not in ids:
                continue
            answer = answers.get(obj["id"])
            problem = _problem(obj, answer)
            if problem is not None:
                where = f"{path}:{n} ({obj['id']}): {problem}"
                if bad is None:
                    raise BfclDataError(where)
                bad.append((str(obj["id"]), where))
                taken += 1
                continue
            entries.append(
                {
                    "id": obj["id"],
                    "category": category,
                    "question": obj["question"],
                    "initial_config": obj.get("initial_config") or {},
                    "involved_classes": obj["involved_classes"],
                    "ground_truth": answer,
                    "missed_function": {str(k): list(v) for k, v in (obj.get("missed_function") or {}).items()},
                    "excluded_function": list(obj.get("excluded_function") or []),
                    "path": obj.get("path") or [],
                }
            )
            taken += 1
    if ids is not None:
        found = {e["id"] for e in entries} | {b[0] for b in (bad or [])}
        unknown = sorted(ids - found)
        if unknown:
            raise BfclDataError(f"{root}: no multi-turn entry {', '.join(unknown[:5])}")
    return entries


def entry_from_task(task: dict[str, Any]) -> dict[str, Any] | None:
    """The multi-turn entry behind an imported BFCL task (``import bfcl`` keeps its state and per-turn gold
    calls), or None when the task is not a BFCL multi-turn one."""
    meta = task.get("meta") or {}
    if task.get("benchmark") != "bfcl" or not meta.get("involved_classes"):
        return None
    turns: list[list[str]] = [[] for _ in task.get("turns") or []]
    for call in task.get("gold") or []:
        turn = call.get("turn")
        if isinstance(turn, int) and 0 <= turn < len(turns) and call.get("raw"):
            turns[turn].append(str(call["raw"]))
    return {
        "id": str(meta.get("id") or task.get("source_ref") or ""),
        "category": category_of(str(meta.get("id") or task.get("source_ref") or "")),
        "question": [
            [{"role": m.get("role"), "content": m.get("content")} for m in t] for t in task.get("turns") or []
        ],
        "initial_config": meta.get("initial_config") or {},
        "involved_classes": list(meta["involved_classes"]),
        "ground_truth": turns,
        "missed_function": meta.get("missed_function") or {},
    }
