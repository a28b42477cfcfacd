"""Record what path sampling produces, so a faster sampler can be held to the same paths.

    python tools/make_paths_fixture.py            # writes tests/fixtures/paths_expected.json

Two graphs: a generated one written straight into ``graph_nodes``/``graph_edges`` (with the awkward cases:
several dependency edges for one pair, equal scores, self-loops, dropped/kept/invalid verdicts, a label whose
tools feed nothing, nodes with no tool row), and the demo workspace's graph built by TF-IDF as
``fcstudio graph build`` does. On each, ``path_store.sample_paths`` runs with every operation and with a
label, a start tool and operation subsets. Each stored path (FSP JSON with provenance, and which path a
split copy came from) is kept as a short sha256, plus the first two in full so a difference can be read.

It only calls ``sample_paths``/``get_path``, so the same script re-run on any later version must reproduce
the file. The file was first recorded at commit 58b79a2, with the sampler that scanned every node for start
candidates on each path (the walk index reproduced it path for path); it was re-recorded once, on purpose, when
sampling began to wire an output only into an argument it fits (``paths.fit``) and to skip paths whose
canonical form is stored already (issue 16). Re-record only for such a deliberate change, and say so.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fcstudio.demo import build_demo
from fcstudio.graph.build import build_graph
from fcstudio.graph.embed import TfidfEmbedder
from fcstudio.paths.store import get_path, sample_paths
from fcstudio.store import Workspace, run, transaction

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "paths_expected.json"
ALL_OPS = ["merge", "insert", "split", "long_context"]
FULL_KEPT = 2  # paths per run stored in full (canonical JSON), besides the hashes

# One run = keyword arguments of sample_paths; "start_name" is resolved to that tool's id.
RUNS: dict[str, list[dict[str, Any]]] = {
    "generated": [
        {"n": 200, "steps": 3, "ops": ALL_OPS, "merge_p": 0.3, "seed": 7, "distractors": 5},
        {"n": 40, "steps": 6, "ops": ["insert", "split"], "seed": 3, "distractors": 5},
        {"n": 30, "steps": 2, "ops": ["merge", "split"], "merge_p": 0.8, "seed": 11},
        {"n": 20, "steps": 4, "ops": ALL_OPS, "seed": 5, "label": "geo", "distractors": 5},
        {"n": 10, "steps": 3, "ops": ALL_OPS, "seed": 2, "label": "sink", "distractors": 5},
        {"n": 10, "steps": 3, "ops": ["insert", "merge"], "seed": 9, "start_name": "tool_004"},
    ],
    "demo": [
        {"n": 200, "steps": 3, "ops": ALL_OPS, "merge_p": 0.3, "seed": 7, "distractors": 5},
        {"n": 40, "steps": 5, "ops": ["insert", "split"], "seed": 3, "distractors": 5},
        {"n": 20, "steps": 3, "ops": ALL_OPS, "seed": 5, "label": "travel", "distractors": 5},
        {"n": 10, "steps": 2, "ops": ["merge", "insert"], "seed": 1, "start_name": "check_calendar"},
    ],
}
LABELS = ["geo", "geo", "money", "time", "", "sink"]


def generated_graph(con: duckdb.DuckDBPyConnection, *, n_tools: int = 120, seed: int = 11) -> None:
    """A seeded random graph written straight into the graph tables (and tool rows for required parameters)."""
    rng = random.Random(seed)
    ids = [f"g{i:03d}" for i in range(n_tools)]
    params = {t: [f"p{k}" for k in range(rng.randint(0, 4))] for t in ids}
    labels = {t: LABELS[i % len(LABELS)] for i, t in enumerate(ids)}
    with transaction(con):
        for i, t in enumerate(ids):
            run(
                con,
                "INSERT INTO graph_nodes VALUES (?, ?, 'generated', ?, ?, ?, 0, 0)",
                [t, f"tool_{i:03d}", labels[t], float(i), 0.0],
            )
            if i % 37 == 36:
                continue  # a graph node with no tool row: no required parameters
            props = {p: {"type": "string", "description": f"{p} of {t}"} for p in params[t]}
            schema: dict[str, Any] = {"type": "object", "properties": props}
            if i % 5 == 1:
                schema["required"] = None
            elif i % 5 != 2:  # i % 5 == 2: no "required" key at all
                schema["required"] = rng.sample(params[t], rng.randint(0, len(params[t])))
            run(
                con,
                "INSERT INTO tools (id, dataset, import_id, name, description, parameters, labels) VALUES (?, 'generated', 0, ?, ?, ?, ?)",
                [t, f"tool_{i:03d}", f"generated tool {i}", json.dumps(schema), [labels[t]] if labels[t] else []],
            )
        edges = []
        feeders = [t for t in ids if labels[t] != "sink"]  # "sink" tools feed nothing
        for _ in range(n_tools * 4):
            src, dst = rng.choice(feeders), rng.choice(ids)
            if src == dst and rng.random() < 0.7:
                continue  # a few self-loops stay
            score = rng.choice([0.5, 0.6, 0.7, round(rng.uniform(0.4, 1.0), 4)])  # many ties
            evidence = [
                {
                    "from": f"returns.{rng.choice(['id', 'name', 'items[].id', 'city'])}",
                    "to": f"param {rng.choice(params[dst] or ['q'])}",
                    "score": score,
                }
                for _ in range(rng.randint(1, 3))
            ]
            judge = rng.choice([None, None, None, None, "keep", "drop", "invalid"])
            edges.append((src, dst, "dependency", score, evidence, judge))
            if rng.random() < 0.15:  # a second dependency edge for the same pair
                edges.append((src, dst, "dependency", rng.choice([score, 0.55, 0.95]), list(reversed(evidence)), None))
        for _ in range(n_tools * 2):
            a, b = sorted(rng.sample(ids, 2))
            kind = rng.choice(["param", "label"])
            edges.append((a, b, kind, 0.5, [{"from": "param p0", "to": "param p0", "score": 0.5}], None))
        for src, dst, kind, score, evidence, judge in edges:
            run(
                con,
                "INSERT INTO graph_edges (src, dst, kind, score, method, evidence, judge) VALUES (?, ?, ?, ?, 'generated', ?, ?)",
                [src, dst, kind, score, json.dumps(evidence), judge],
            )
        run(
            con,
            "INSERT INTO graph_builds (id, embedder, threshold, top_k, params, nodes, edges, seconds) VALUES (1, 'generated', 0, 0, '{}', ?, ?, 0)",
            [n_tools, len(edges)],
        )


def demo_graph(con: duckdb.DuckDBPyConnection) -> None:
    build_demo(con)
    build_graph(con, TfidfEmbedder())


GRAPHS = {"generated": generated_graph, "demo": demo_graph}


def fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """sha256 of everything sampling may read: nodes, edges with evidence and verdicts, tools' parameters."""
    parts = [
        run(con, "SELECT tool_id, name, label FROM graph_nodes ORDER BY ALL"),
        run(con, "SELECT src, dst, kind, score, evidence::VARCHAR, judge FROM graph_edges ORDER BY rowid"),
        run(con, "SELECT id, parameters::VARCHAR FROM tools ORDER BY id"),
    ]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def path_record(row: dict[str, Any], first_id: int) -> str:
    """A stored path as canonical JSON: its FSP and which path (by offset from the run's first) it was split from
    (negative: a path stored by an earlier run, whose drawn duplicate was skipped)."""
    parent = None if row["parent_id"] is None else row["parent_id"] - first_id
    return json.dumps(
        {"fsp": row["fsp"].model_dump(mode="json"), "parent": parent, "seed": row["seed"]}, sort_keys=True
    )


def sample_run(con: duckdb.DuckDBPyConnection, spec: dict[str, Any]) -> list[str]:
    """The run's paths as canonical JSON, in the order sample_paths stored them."""
    kwargs = dict(spec)
    if "start_name" in kwargs:
        name = kwargs.pop("start_name")
        kwargs["start"] = run(con, "SELECT tool_id FROM graph_nodes WHERE name = ?", [name])[0][0]
    ids = sample_paths(con, **kwargs).ids
    found = [get_path(con, i) for i in ids]
    return [path_record(row, ids[0]) for row in found if row is not None]


def digest(record: str) -> str:
    """The first 16 hex digits of the record's sha256 (64 bits: ample to tell two paths apart)."""
    return hashlib.sha256(record.encode()).hexdigest()[:16]


def record_graph(name: str, folder: Path) -> dict[str, Any]:
    with Workspace(folder / f"{name}.duckdb").connect() as con:
        GRAPHS[name](con)
        runs = []
        for spec in RUNS[name]:
            records = sample_run(con, spec)
            runs.append(
                {
                    "spec": spec,
                    "paths": [digest(r) for r in records],
                    "first": records[:FULL_KEPT],
                }
            )
        return {"fingerprint": fingerprint(con), "runs": runs}


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="fcstudio-paths-fixture-") as tmp:
        out = {"graphs": {name: record_graph(name, Path(tmp)) for name in GRAPHS}}
    FIXTURE.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    total = sum(len(r["paths"]) for g in out["graphs"].values() for r in g["runs"])
    print(f"wrote {FIXTURE} ({total} paths)")


if __name__ == "__main__":
    main()
