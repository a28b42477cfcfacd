"""Datasets a trainer can load: SFT conversations, DPO pairs (TRL's conversational preference format), mDPO.

- ``sft``: one row per trajectory, ``messages`` (OpenAI chat messages) and ``tools`` (OpenAI tool entries).
- ``dpo``: one row per pair, ``prompt`` = the shared history, ``chosen``/``rejected`` = the diverging assistant
  turn with its ``tool_calls`` and ``tool`` messages, ``tools`` = the JSON schemas offered (TRL's columns).
- ``mdpo``: one row per trajectory with every labelled turn: ``turns`` = [{turn, prompt, chosen, rejected}],
  so a multi-turn DPO loss can sum over the assistant turns of one conversation. Each turn also carries the
  annotators' marks on single assistant messages, ``turn_labels`` = [{side, message, label, reason, annotator}]:
  ``side`` is the exported side (chosen or rejected, after any swap) and ``message`` the index in its list.

By default only accepted data goes out: trajectories marked accepted; pairs whose required labels are in and
whose majority is not a tie (a majority for the machine's "rejected" side swaps the two). ``include_all``
adds what passed verification without review: verified trajectories, and unlabelled pairs as made.
The file is written next to its destination and renamed into place, so a failed export leaves no half file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from fcstudio.prefs.labels import decision, turn_labels
from fcstudio.store import rows, scalar
from fcstudio.synth.stale import NO_STALE_SQL, skipped_for_export
from fcstudio.synth.trajectories import tool_specs

KINDS = ("sft", "dpo", "mdpo")
FORMATS = ("jsonl", "parquet")


def _clean(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """OpenAI messages with a fixed key set (content always present) so every row has one schema."""
    out = []
    for m in messages:
        msg: dict[str, Any] = {"role": m["role"], "content": m.get("content")}
        if m.get("tool_calls"):
            msg["tool_calls"] = [
                {"id": tc["id"], "type": "function", "function": dict(tc["function"])} for tc in m["tool_calls"]
            ]
        if m.get("tool_call_id"):
            msg["tool_call_id"] = m["tool_call_id"]
        out.append(msg)
    return out


def _sft_where(include_all: bool, stale: bool = False) -> str:
    """Accepted (or, with ``include_all``, verified) trajectories; one with a stale reply never goes out."""
    chosen = "status = 'accepted'" + (" OR verified" if include_all else "")
    return chosen if stale else f"({chosen}) AND {NO_STALE_SQL}"


def sft_rows(con: duckdb.DuckDBPyConnection, include_all: bool = False) -> list[dict[str, Any]]:
    where = _sft_where(include_all)
    found = rows(
        con,
        f"""SELECT id, source_ref, messages, tool_ids, coalesce(origin, 'import') AS origin, coalesce(status,
                   'pending') AS status FROM trajectories WHERE {where} ORDER BY id""",
    )
    specs = tool_specs(con, sorted({t for r in found for t in r["tool_ids"]}))
    return [
        {
            "id": f"traj-{r['id']}",
            "messages": _clean(json.loads(r["messages"])),
            "tools": [specs[t].openai() for t in r["tool_ids"] if t in specs],
            "source": r["origin"],
            "status": r["status"],
        }
        for r in found
    ]


def _pair_labels(con: duckdb.DuckDBPyConnection, include_all: bool) -> dict[int, str]:
    """Pairs that go out, by id: 'chosen' or 'rejected' (the labelled majority), or 'unlabelled' (with --all)."""
    found = rows(
        con,
        """SELECT p.id, p.annotators_required, coalesce(t.verified, true) AS verified,
                  list(l.choice ORDER BY l.slot) FILTER (WHERE l.choice IS NOT NULL) AS choices
           FROM pairs p LEFT JOIN pair_labels l ON l.pair_id = p.id LEFT JOIN trajectories t ON t.id = p.trajectory_id
           GROUP BY p.id, p.annotators_required, t.verified ORDER BY p.id""",
    )
    out = {}
    for r in found:
        verdict = decision(list(r["choices"] or []), int(r["annotators_required"]))
        if verdict in ("chosen", "rejected"):
            out[int(r["id"])] = verdict
        elif verdict is None and include_all and not r["choices"] and r["verified"]:
            out[int(r["id"])] = "unlabelled"
    return out


def _labelled_pairs(con: duckdb.DuckDBPyConnection, include_all: bool) -> list[dict[str, Any]]:
    labels = _pair_labels(con, include_all)
    found = rows(
        con,
        """SELECT id, trajectory_id, episode_ref, turn, prefix, chosen, rejected, tools, strategy, perturbation,
                  error_type FROM pairs WHERE list_contains(?, id) ORDER BY id""",
        [list(labels)],
    )
    marks = turn_labels(con, [int(r["id"]) for r in found])
    out = []
    for r in found:
        chosen, rejected = json.loads(r["chosen"]), json.loads(r["rejected"])
        swap = labels[r["id"]] == "rejected"
        if swap:  # the annotators preferred the machine's rejected side
            chosen, rejected = rejected, chosen
        flip = {"chosen": "rejected", "rejected": "chosen"} if swap else {"chosen": "chosen", "rejected": "rejected"}
        out.append(
            {
                **r,
                "prefix": json.loads(r["prefix"]),
                "chosen": chosen,
                "rejected": rejected,
                "tools": json.loads(r["tools"]),
                "label": labels[r["id"]],
                "turn_labels": [{**m, "side": flip[m["side"]]} for m in marks.get(int(r["id"]), [])],
            }
        )
    return out


def dpo_rows(con: duckdb.DuckDBPyConnection, include_all: bool = False) -> list[dict[str, Any]]:
    return [
        {
            "id": f"pair-{p['id']}",
            "prompt": _clean(p["prefix"]),
            "chosen": _clean(p["chosen"]),
            "rejected": _clean(p["rejected"]),
            "tools": p["tools"],
            "turn": int(p["turn"]),
            "error_type": p["error_type"],
            "strategy": p["strategy"],
            "label": p["label"],
        }
        for p in _labelled_pairs(con, include_all)
    ]


def mdpo_rows(con: duckdb.DuckDBPyConnection, include_all: bool = False) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for p in _labelled_pairs(con, include_all):
        key = f"traj-{p['trajectory_id']}" if p["trajectory_id"] is not None else f"episode-{p['episode_ref']}"
        groups.setdefault(key, []).append(p)
    out = []
    for key, pairs in groups.items():
        pairs.sort(key=lambda p: (p["turn"], p["id"]))
        out.append(
            {
                "id": key,
                "tools": pairs[0]["tools"],
                "turns": [
                    {
                        "turn": int(p["turn"]),
                        "prompt": _clean(p["prefix"]),
                        "chosen": _clean(p["chosen"]),
                        "rejected": _clean(p["rejected"]),
                        "error_type": p["error_type"],
                        "turn_labels": p["turn_labels"],
                    }
                    for p in pairs
                ],
            }
        )
    return out


def export(
    con: duckdb.DuckDBPyConnection, kind: str, out: str | Path, *, fmt: str = "jsonl", include_all: bool = False
) -> dict[str, Any]:
    """Write the dataset and return its stats (rows, messages, error types, ...)."""
    if kind not in KINDS:
        raise ValueError(f"unknown export {kind!r}; one of {', '.join(KINDS)}")
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    data = {"sft": sft_rows, "dpo": dpo_rows, "mdpo": mdpo_rows}[kind](con, include_all)
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        if fmt == "jsonl":
            with open(tmp, "w", encoding="utf-8") as fh:
                for row in data:
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            pd.DataFrame(data).to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    skipped = skipped_for_export(con, _sft_where(include_all, stale=True)) if kind == "sft" else {}
    return {"kind": kind, "format": fmt, "path": str(path), **stats(kind, data), **skipped}


def stats(kind: str, data: list[dict[str, Any]]) -> dict[str, Any]:
    if kind == "sft":
        return {
            "rows": len(data),
            "messages": sum(len(r["messages"]) for r in data),
            "tool_calls": sum(len(m.get("tool_calls") or []) for r in data for m in r["messages"]),
            "by_source": dict(Counter(r["source"] for r in data)),
        }
    if kind == "dpo":
        return {
            "rows": len(data),
            "by_error_type": dict(Counter(r["error_type"] for r in data)),
            "by_strategy": dict(Counter(r["strategy"] for r in data)),
            "by_label": dict(Counter(r["label"] for r in data)),
        }
    return {"rows": len(data), "turns": sum(len(r["turns"]) for r in data)}


def export_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """How many rows each export would hold, by default and with ``--all`` (counted, not built)."""
    return {
        "sft": int(scalar(con, f"SELECT count(*) FROM trajectories WHERE {_sft_where(False)}")),
        "sft_all": int(scalar(con, f"SELECT count(*) FROM trajectories WHERE {_sft_where(True)}")),
        "dpo": len(_pair_labels(con, False)),
        "dpo_all": len(_pair_labels(con, True)),
    }
