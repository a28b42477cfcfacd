"""Human preference labels on pairs, with the number of annotators per pair enforced by the database.

How the cap is enforced (schema migration 8), by constraints alone, whatever writes to the table:
- a label takes a numbered slot: ``PRIMARY KEY (pair_id, slot)``, so two labels never share a slot;
- it carries its pair's required count: ``FOREIGN KEY (pair_id, required) REFERENCES pairs (id,
  annotators_required)``, so ``required`` is the pair's own count and cannot be made up;
- ``CHECK (slot >= 1 AND slot <= required)``, so no slot beyond the count exists: a pair holds at most
  ``annotators_required`` labels;
- ``UNIQUE (pair_id, annotator)``: one annotator is never counted twice.
``label_pair`` takes the next slot in one INSERT … SELECT count(*) + 1. Two annotators saving at the same moment
both compute the same slot; the second insert conflicts with the first (primary key), is rolled back and retried,
and then takes the next slot or finds the pair full.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import duckdb

from fcstudio.store import rows, run, scalar, transaction

CHOICES = ("chosen", "rejected", "tie")
REASONS = ("wrong function", "wrong argument", "missing call", "ignored earlier result", "bad summary", "other")
SIDES = ("chosen", "rejected")  # the machine's sides, whichever is shown left
TURN_LABELS = ("good", "bad")


class LabelRefused(ValueError):
    """The label was not stored: the pair is full, unknown, or this annotator already labelled it."""


def _is_conflict(exc: Exception) -> bool:
    text = str(exc).lower()
    return "conflict" in text or "duplicate key" in text or "constraint" in text


def label_pair(
    con: duckdb.DuckDBPyConnection,
    pair_id: int,
    annotator: str,
    choice: str,
    reasons: list[str] | None = None,
    note: str = "",
    *,
    attempts: int = 20,
    on_retry: Callable[[int, str], None] | None = None,
    before_commit: Callable[[int], None] | None = None,
) -> int:
    """Store one annotator's verdict on a pair; returns the slot it took.

    ``on_retry(attempt, why)`` is called each time a conflicting concurrent label made this one retry (a count
    of contention); ``before_commit(slot)`` runs inside the transaction once the row is inserted, before it
    commits (it lets a caller hold the slot, e.g. to make two annotators collide on purpose).
    """
    annotator = annotator.strip()
    if not annotator:
        raise LabelRefused("an annotator name is required")
    if choice not in CHOICES:
        raise LabelRefused(f"unknown choice {choice!r}; one of {', '.join(CHOICES)}")
    for attempt in range(attempts):
        try:
            with transaction(con):
                required = scalar(con, "SELECT annotators_required FROM pairs WHERE id = ?", [pair_id])
                if required is None:
                    raise LabelRefused(f"no pair {pair_id}")
                if scalar(
                    con, "SELECT count(*) FROM pair_labels WHERE pair_id = ? AND annotator = ?", [pair_id, annotator]
                ):
                    raise LabelRefused(f"{annotator} already labelled pair {pair_id}")
                inserted = run(
                    con,
                    """INSERT INTO pair_labels (pair_id, slot, required, annotator, choice, reasons, note)
                       SELECT ?, count(*) + 1, ?, ?, ?, ?, ? FROM pair_labels WHERE pair_id = ?
                       HAVING count(*) < ?
                       RETURNING slot""",
                    [pair_id, required, annotator, choice, list(reasons or []), note or None, pair_id, required],
                )
                if not inserted:
                    raise LabelRefused(f"pair {pair_id} already has its {required} label(s)")
                slot = int(inserted[0][0])
                if before_commit is not None:
                    before_commit(slot)
            return slot
        except (duckdb.ConstraintException, duckdb.TransactionException) as exc:
            if not _is_conflict(exc) or attempt == attempts - 1:
                raise LabelRefused(f"could not store the label on pair {pair_id}: {exc}") from None
            if on_retry is not None:
                on_retry(attempt + 1, str(exc))
            time.sleep(0.005 * (attempt + 1))
    raise LabelRefused(f"could not store the label on pair {pair_id}")


def skip_pair(con: duckdb.DuckDBPyConnection, pair_id: int, annotator: str) -> None:
    run(con, "INSERT INTO pair_skips (pair_id, annotator) VALUES (?, ?) ON CONFLICT DO NOTHING", [pair_id, annotator])


def next_pair(
    con: duckdb.DuckDBPyConnection, annotator: str, strategy: str | None = None, *, include_trivial: bool = True
) -> int | None:
    """The first pair that still needs labels and that this annotator has neither labelled nor skipped
    (trivial pairs left out unless ``include_trivial``)."""
    return scalar(
        con,
        """SELECT p.id FROM pairs p
           WHERE (SELECT count(*) FROM pair_labels l WHERE l.pair_id = p.id) < p.annotators_required
             AND NOT EXISTS (SELECT 1 FROM pair_labels l WHERE l.pair_id = p.id AND l.annotator = ?)
             AND NOT EXISTS (SELECT 1 FROM pair_skips s WHERE s.pair_id = p.id AND s.annotator = ?)
             AND (? IS NULL OR p.strategy = ?)
             AND (? OR NOT coalesce(p.trivial, false))
           ORDER BY p.id LIMIT 1""",
        [annotator, annotator, strategy, strategy, include_trivial],
    )


# -- labels on single assistant turns -------------------------------------------------------------------


def label_turn(
    con: duckdb.DuckDBPyConnection,
    pair_id: int,
    annotator: str,
    side: str,
    message: int,
    label: str | None,
    reason: str = "",
) -> None:
    """Mark one assistant message of one side good or bad (``label`` None clears the mark).

    ``side`` is the machine's (chosen or rejected) and ``message`` the message's index in that side's list,
    so an export can point at exactly the message that was judged. One mark per annotator and message.
    """
    annotator = annotator.strip()
    if not annotator:
        raise LabelRefused("an annotator name is required")
    if side not in SIDES:
        raise LabelRefused(f"unknown side {side!r}; one of {', '.join(SIDES)}")
    if label is not None and label not in TURN_LABELS:
        raise LabelRefused(f"unknown turn label {label!r}; one of {', '.join(TURN_LABELS)}")
    raw = scalar(con, f"SELECT {side} FROM pairs WHERE id = ?", [pair_id])
    if raw is None:
        raise LabelRefused(f"no pair {pair_id}")
    messages = json.loads(raw)
    if not 0 <= message < len(messages) or messages[message].get("role") != "assistant":
        where = [i for i, m in enumerate(messages) if m.get("role") == "assistant"]
        raise LabelRefused(f"message {message} of the {side} side is not an assistant turn; those are {where}")
    key = [pair_id, annotator, side, message]
    if label is None:
        run(con, "DELETE FROM pair_turn_labels WHERE pair_id = ? AND annotator = ? AND side = ? AND message = ?", key)
        return
    run(
        con,
        """INSERT INTO pair_turn_labels (pair_id, annotator, side, message, label, reason) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (pair_id, annotator, side, message)
           DO UPDATE SET label = excluded.label, reason = excluded.reason, created_at = now()""",
        [*key, label, reason.strip() or None],
    )


def turn_labels(con: duckdb.DuckDBPyConnection, pair_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The turn marks of these pairs, by pair, in (side, message, annotator) order."""
    out: dict[int, list[dict[str, Any]]] = {}
    for r in rows(
        con,
        """SELECT pair_id, side, message, label, reason, annotator FROM pair_turn_labels
           WHERE list_contains(?, pair_id) ORDER BY pair_id, side, message, annotator""",
        [list(pair_ids)],
    ):
        out.setdefault(int(r.pop("pair_id")), []).append(r)
    return out


def left_is_chosen(pair_id: int, annotator: str) -> bool:
    """Which side the chosen continuation is shown on: fixed per (pair, annotator), unbiased over pairs."""
    return hashlib.sha256(f"{pair_id}:{annotator}".encode()).digest()[0] % 2 == 0


def progress(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    row = rows(
        con,
        """SELECT count(*) AS pairs,
                  count(*) FILTER (WHERE n >= annotators_required) AS complete,
                  coalesce(sum(least(n, annotators_required)), 0) AS labels,
                  coalesce(sum(annotators_required), 0) AS labels_needed
           FROM (SELECT p.id, p.annotators_required,
                        (SELECT count(*) FROM pair_labels l WHERE l.pair_id = p.id) AS n FROM pairs p)""",
    )[0]
    return {k: int(v) for k, v in row.items()}


def pair_labels(con: duckdb.DuckDBPyConnection, pair_id: int) -> list[dict[str, Any]]:
    return rows(
        con,
        "SELECT slot, annotator, choice, reasons, note, created_at FROM pair_labels WHERE pair_id = ? ORDER BY slot",
        [pair_id],
    )


def cohen_kappa(a: list[str], b: list[str]) -> float | None:
    """Cohen's kappa of two raters over the same items; None when undefined (no items, or one category only)."""
    n = len(a)
    if n == 0 or n != len(b):
        return None
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb[k] for k in set(ca) | set(cb)) / (n * n)
    if expected == 1.0:
        return None
    return (observed - expected) / (1 - expected)


def agreement(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Cohen's kappa for every two annotators over the pairs both labelled, and their item-weighted mean."""
    labels: dict[str, dict[int, str]] = {}
    for pair_id, annotator, choice in run(con, "SELECT pair_id, annotator, choice FROM pair_labels"):
        labels.setdefault(annotator, {})[pair_id] = choice
    pairs: list[dict[str, Any]] = []
    scored: list[tuple[float, int]] = []  # (kappa, items) of the pairs whose kappa is defined
    for x, y in itertools.combinations(sorted(labels), 2):
        common = sorted(set(labels[x]) & set(labels[y]))
        if not common:
            continue
        kappa = cohen_kappa([labels[x][i] for i in common], [labels[y][i] for i in common])
        pairs.append({"a": x, "b": y, "items": len(common), "kappa": kappa})
        if kappa is not None:
            scored.append((kappa, len(common)))
    weight = sum(n for _, n in scored)
    mean = sum(k * n for k, n in scored) / weight if weight else None
    return {"pairs": pairs, "mean_kappa": mean, "annotators": sorted(labels)}


def decision(choices: list[str], required: int) -> str | None:
    """The majority verdict once the pair has all its labels ('chosen', 'rejected' or 'tie'); None before."""
    if len(choices) < required or not choices:
        return None
    counts = Counter(choices).most_common()
    if len(counts) > 1 and counts[0][1] == counts[1][1]:
        return "tie"
    return counts[0][0]
