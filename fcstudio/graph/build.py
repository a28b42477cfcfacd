"""The tool graph (ToolFlow / MAGNET): which tools feed which, and which share parameters or labels.

Edges, each with its evidence (fields matched, score, method):
- ``dependency`` A -> B: a return value of A is similar to a parameter of B (parameter-return similarity);
- ``param`` A -- B: A and B take semantically similar parameters (parameter-parameter similarity);
- ``label`` A -- B: A and B share a label, B among A's most similar tools of that label (MAGNET's candidates).
Fields are encoded as ``name: description`` (ToolFlow) by a pluggable embedder; a pair counts when its
cosine similarity reaches ``threshold``, keeping the ``top_k`` best per field. Node positions come from a
force-directed layout of the edges (``graph.layout``), computed once here and stored for the UI."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import duckdb
import networkx as nx
import numpy as np
from scipy import sparse

from fcstudio.graph.embed import Embedder, Matrix
from fcstudio.graph.layout import LAYOUT_NAME, force_layout
from fcstudio.graph.read import EDGE_KINDS
from fcstudio.store import one, rows, run, scalar, transaction

Progress = Callable[[float, str], object]  # whatever it returns is ignored (a page's lambda returns its progress bar)
# Cosine thresholds: ToolFlow's 0.82 is for sentence embeddings; TF-IDF scores run lower, and 0.4 is
# where the demo catalogue's known links (location ~ destination, check_calendar -> navigate) appear.
DEFAULT_THRESHOLD = {"tfidf": 0.4, "openai": 0.82}


def default_threshold(embedder_name: str) -> float:
    return DEFAULT_THRESHOLD["tfidf" if embedder_name == "tfidf" else "openai"]


@dataclass(frozen=True)
class ToolField:
    tool: int  # index into the tool list
    kind: str  # "param" | "return"
    name: str
    path: str
    text: str


@dataclass
class Edge:
    src: str
    dst: str
    kind: str
    score: float
    method: str
    evidence: list[dict[str, Any]] = field(default_factory=list)


def _return_fields(schema: Any, path: str = "") -> Iterator[tuple[str, str, str]]:
    """(name, path, description) of every named leaf or object in a return schema."""
    if not isinstance(schema, dict):
        return
    props = schema.get("properties")
    if isinstance(props, dict):
        for name, sub in props.items():
            sub_path = f"{path}.{name}" if path else name
            if isinstance(sub, dict):
                yield name, sub_path, str(sub.get("description", ""))
                yield from _return_fields(sub, sub_path)
    items = schema.get("items")
    if isinstance(items, dict):
        yield from _return_fields(items, f"{path}[]")


def tool_fields(tools: list[dict[str, Any]]) -> list[ToolField]:
    """Parameters and return values of each tool as ``name: description`` texts (ToolFlow's encoding)."""
    out: list[ToolField] = []
    for i, tool in enumerate(tools):
        for name, spec in ((tool.get("parameters") or {}).get("properties") or {}).items():
            desc = spec.get("description", "") if isinstance(spec, dict) else ""
            out.append(ToolField(i, "param", name, name, f"{name}: {desc}"))
        for name, path, desc in _return_fields(tool.get("returns")):
            out.append(ToolField(i, "return", name, path, f"{name}: {desc}"))
    return out


def _top_per_row(r: np.ndarray, c: np.ndarray, scores: np.ndarray, top_k: int) -> np.ndarray:
    """Indices of the best ``top_k`` entries of each row among (r, c, score) candidates."""
    # one float key sorts by row, then by falling score (scores are cosines in [0, 1]): faster than lexsort
    order = np.argsort(r.astype(np.float64) * 2.0 + (1.0 - np.clip(scores, 0.0, 1.0)), kind="stable")
    r = r[order]
    first = np.r_[0, np.flatnonzero(np.diff(r)) + 1]
    rank = np.arange(len(r)) - np.repeat(first, np.diff(np.r_[first, len(r)]))
    return order[rank < top_k]


def similar_pairs(
    a: Matrix, b: Matrix, owner_a: np.ndarray, owner_b: np.ndarray, threshold: float, top_k: int, block: int = 4096
) -> Iterator[tuple[int, int, float]]:
    """(i, j, score) with score >= threshold, the top_k per row of ``a``, never two fields of one tool.

    Sparse inputs stay sparse (only the stored similarities are looked at); candidates are thresholded
    before the per-row top-k, so the sort sees only the few pairs that can become edges.
    """
    is_sparse = sparse.issparse(a)
    bt = sparse.csc_matrix(b.T) if is_sparse else b.T
    for start in range(0, a.shape[0], block):
        stop = min(start + block, a.shape[0])
        sims = a[start:stop] @ bt
        if is_sparse:
            sims = sparse.csr_matrix(sims)
            r = np.repeat(np.arange(sims.shape[0]), np.diff(sims.indptr))
            c, scores = sims.indices, sims.data
            hit = scores >= threshold
            r, c, scores = r[hit], c[hit], scores[hit]
        else:
            sims = np.asarray(sims)
            r, c = np.nonzero(sims >= threshold)
            scores = sims[r, c]
        keep = owner_a[start + r] != owner_b[c]
        r, c, scores = r[keep], c[keep], scores[keep]
        if not len(r):
            continue
        for i in _top_per_row(r, c, scores, top_k):
            yield start + int(r[i]), int(c[i]), float(scores[i])


def _add(
    edges: dict[tuple[str, str, str], Edge],
    src: str,
    dst: str,
    kind: str,
    score: float,
    method: str,
    ev: dict[str, Any],
) -> None:
    key = (src, dst, kind)
    edge = edges.get(key)
    if edge is None:
        edges[key] = Edge(src, dst, kind, score, method, [ev])
        return
    edge.score = max(edge.score, score)
    if len(edge.evidence) < 5 and ev not in edge.evidence:
        edge.evidence.append(ev)


def build_edges(
    tools: list[dict[str, Any]],
    embedder: Embedder,
    *,
    threshold: float,
    top_k: int = 5,
    label_top_k: int = 3,
    progress: Progress | None = None,
) -> list[Edge]:
    """All edges of the graph over ``tools`` (dicts with id, name, description, parameters, returns, labels)."""
    say = progress or (lambda f, label: None)
    fields = tool_fields(tools)
    say(0.05, f"encoding {len(fields):,} fields and {len(tools):,} tools")
    texts = [f.text for f in fields] + [f"{t['name']}: {t.get('description', '')}" for t in tools]
    vectors = embedder.encode(texts) if texts else np.zeros((0, 1), dtype=np.float32)
    field_vecs, tool_vecs = vectors[: len(fields)], vectors[len(fields) :]
    ids = [t["id"] for t in tools]
    params = np.array([i for i, f in enumerate(fields) if f.kind == "param"], dtype=np.int64)
    returns = np.array([i for i, f in enumerate(fields) if f.kind == "return"], dtype=np.int64)
    owner = np.array([f.tool for f in fields], dtype=np.int64)
    edges: dict[tuple[str, str, str], Edge] = {}
    method = f"{embedder.name}>={threshold}"

    say(0.3, "parameter-return similarity")
    if len(returns) and len(params):
        for i, j, s in similar_pairs(
            field_vecs[returns], field_vecs[params], owner[returns], owner[params], threshold, top_k
        ):
            fr, fp = fields[returns[i]], fields[params[j]]
            _add(
                edges,
                ids[fr.tool],
                ids[fp.tool],
                "dependency",
                s,
                method,
                {"from": f"returns.{fr.path}", "to": f"param {fp.name}", "score": round(s, 4)},
            )
    say(0.55, "parameter-parameter similarity")
    if len(params) > 1:
        for i, j, s in similar_pairs(
            field_vecs[params], field_vecs[params], owner[params], owner[params], threshold, top_k
        ):
            fa, fb = fields[params[i]], fields[params[j]]
            a, b = sorted((ids[fa.tool], ids[fb.tool]))
            names = (fa.name, fb.name) if ids[fa.tool] == a else (fb.name, fa.name)
            _add(
                edges,
                a,
                b,
                "param",
                s,
                method,
                {"from": f"param {names[0]}", "to": f"param {names[1]}", "score": round(s, 4)},
            )
    say(0.75, "label neighbours")
    by_label: dict[str, list[int]] = {}
    for i, t in enumerate(tools):
        for label in t.get("labels") or []:
            by_label.setdefault(label, []).append(i)
    for label, members in by_label.items():
        if len(members) < 2:
            continue
        group = tool_vecs[members]
        owners = np.arange(len(members))
        for i, j, s in similar_pairs(group, group, owners, owners, 1e-6, label_top_k):
            a, b = sorted((ids[members[i]], ids[members[j]]))
            _add(edges, a, b, "label", s, "label+similarity", {"label": label, "score": round(s, 4)})
    return list(edges.values())


# -- workspace -----------------------------------------------------------------------------------------


def load_tools(con: duckdb.DuckDBPyConnection, dataset: str | None = None) -> list[dict[str, Any]]:
    where, params = (" WHERE dataset = ?", [dataset]) if dataset else ("", [])
    out = rows(
        con, f"SELECT id, name, description, parameters, returns, labels, dataset FROM tools{where} ORDER BY id", params
    )
    for t in out:
        t["parameters"] = json.loads(t["parameters"])
        t["returns"] = json.loads(t["returns"]) if t["returns"] else None
    return out


def build_graph(
    con: duckdb.DuckDBPyConnection,
    embedder: Embedder,
    *,
    threshold: float | None = None,
    top_k: int = 5,
    label_top_k: int = 3,
    dataset: str | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Build the graph over the workspace's tools and replace the stored one, in one transaction.

    ``threshold`` defaults to the embedder's (``default_threshold``).
    """
    if threshold is None:
        threshold = default_threshold(embedder.name)
    started = time.perf_counter()
    tools = load_tools(con, dataset)
    edges = build_edges(tools, embedder, threshold=threshold, top_k=top_k, label_top_k=label_top_k, progress=progress)
    if progress:
        progress(0.9, "force-directed layout")
    laid_out = time.perf_counter()
    index = {t["id"]: i for i, t in enumerate(tools)}
    positions = force_layout(len(tools), [index[e.src] for e in edges], [index[e.dst] for e in edges])
    layout_seconds = time.perf_counter() - laid_out
    g = nx.Graph()
    g.add_nodes_from(t["id"] for t in tools)
    g.add_edges_from((e.src, e.dst) for e in edges)
    component = {
        node: i for i, comp in enumerate(sorted(nx.connected_components(g), key=len, reverse=True)) for node in comp
    }
    seconds = time.perf_counter() - started
    with transaction(con):
        run(con, "DELETE FROM graph_edges")
        run(con, "DELETE FROM graph_nodes")
        build_id = int(scalar(con, "SELECT coalesce(max(id), 0) + 1 FROM graph_builds"))
        import pyarrow as pa

        nodes = pa.table(
            {
                "tool_id": [t["id"] for t in tools],
                "name": [t["name"] for t in tools],
                "dataset": [t["dataset"] for t in tools],
                "label": [(t["labels"] or [""])[0] for t in tools],
                "x": positions[:, 0].astype(float) if len(tools) else [],
                "y": positions[:, 1].astype(float) if len(tools) else [],
                "degree": [g.degree(t["id"]) for t in tools],
                "component": [component.get(t["id"], -1) for t in tools],
            }
        )
        con.register("_graph_nodes", nodes)
        run(
            con,
            "INSERT INTO graph_nodes SELECT tool_id, name, dataset, label, x, y, degree, component FROM _graph_nodes",
        )
        con.unregister("_graph_nodes")
        if edges:
            edge_table = pa.table(
                {
                    "src": [e.src for e in edges],
                    "dst": [e.dst for e in edges],
                    "kind": [e.kind for e in edges],
                    "score": [round(e.score, 4) for e in edges],
                    "method": [e.method for e in edges],
                    "evidence": [json.dumps(e.evidence) for e in edges],
                }
            )
            con.register("_graph_edges", edge_table)
            run(con, "INSERT INTO graph_edges (src, dst, kind, score, method, evidence) SELECT * FROM _graph_edges")
            con.unregister("_graph_edges")
        summary = {
            "build": build_id,
            "nodes": len(tools),
            "edges": len(edges),
            "by_kind": {k: sum(e.kind == k for e in edges) for k in EDGE_KINDS},
            "seconds": round(seconds, 2),
            "layout_seconds": round(layout_seconds, 2),
        }
        run(
            con,
            "INSERT INTO graph_builds (id, embedder, threshold, top_k, params, nodes, edges, seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                build_id,
                embedder.name,
                threshold,
                top_k,
                json.dumps(
                    {
                        "label_top_k": label_top_k,
                        "dataset": dataset,
                        "layout": LAYOUT_NAME,
                        "layout_seconds": round(layout_seconds, 2),
                    }
                ),
                len(tools),
                len(edges),
                seconds,
            ],
        )
    if progress:
        progress(1.0, "done")
    return summary


def relayout_graph(con: duckdb.DuckDBPyConnection, *, seed: int = 0) -> dict[str, Any]:
    """Lay the stored graph out again (force-directed) without re-embedding: for a workspace built before the
    force layout, or to try another seed. Edges, degrees and components stay as built."""
    started = time.perf_counter()
    ids = [tool_id for (tool_id,) in run(con, "SELECT tool_id FROM graph_nodes ORDER BY tool_id")]
    index = {tool_id: i for i, tool_id in enumerate(ids)}
    pairs = [(index[s], index[d]) for s, d in run(con, "SELECT src, dst FROM graph_edges") if s in index and d in index]
    positions = force_layout(len(ids), [p[0] for p in pairs], [p[1] for p in pairs], seed=seed)
    seconds = time.perf_counter() - started
    import pyarrow as pa

    with transaction(con):
        table = pa.table({"tool_id": ids, "x": positions[:, 0].astype(float), "y": positions[:, 1].astype(float)})
        con.register("_graph_layout", table)
        run(con, "UPDATE graph_nodes SET x = l.x, y = l.y FROM _graph_layout l WHERE graph_nodes.tool_id = l.tool_id")
        con.unregister("_graph_layout")
        build = one(con, "SELECT id, params FROM graph_builds ORDER BY id DESC LIMIT 1")
        if build is not None:
            params = json.loads(build[1]) if build[1] else {}
            params.update({"layout": LAYOUT_NAME, "layout_seconds": round(seconds, 2), "layout_seed": seed})
            run(con, "UPDATE graph_builds SET params = ? WHERE id = ?", [json.dumps(params), build[0]])
    return {"nodes": len(ids), "edges": len(pairs), "layout": LAYOUT_NAME, "seed": seed, "seconds": round(seconds, 2)}
