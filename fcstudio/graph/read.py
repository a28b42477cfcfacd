"""The stored tool graph, read back: as a networkx graph for algorithms, its statistics, one tool's edges and
neighbourhood, the overview's segments, and the key that changes whenever the graph does (for caches)."""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import duckdb
import networkx as nx

from fcstudio.store import one, rows, run, scalar

EDGE_KINDS = ("dependency", "param", "label")


def load_graph(con: duckdb.DuckDBPyConnection) -> nx.MultiDiGraph:
    """The stored graph for algorithms: nodes are tool ids; ``param``/``label`` edges appear both ways.

    Every edge's evidence is decoded (3-4 s at 138k edges): path sampling reads ``walk_index.load_walk_index``
    instead, which takes only the dependency edges it needs."""
    g = nx.MultiDiGraph()
    for tool_id, name, label in run(con, "SELECT tool_id, name, label FROM graph_nodes"):
        g.add_node(tool_id, name=name, label=label)
    edges = run(con, "SELECT src, dst, kind, score, evidence FROM graph_edges WHERE judge IS NULL OR judge <> 'drop'")
    for src, dst, kind, score, evidence in edges:
        data = {"kind": kind, "score": score, "evidence": json.loads(evidence)}
        g.add_edge(src, dst, **data)
        if kind != "dependency":
            g.add_edge(dst, src, **data)
    return g


def current_build_id(con: duckdb.DuckDBPyConnection) -> int | None:
    """The latest graph build's id, or None before the first build."""
    found = scalar(con, "SELECT max(id) FROM graph_builds")
    return None if found is None else int(found)


class GraphKey(NamedTuple):
    """Changes whenever what a walk may use changes: keys a cached ``WalkIndex`` (or anything read from the graph).

    A rebuild gives a new ``build_id`` (and ``built_at``, which also tells two workspaces files apart
    that both restarted at build 1); a judge verdict of ``drop`` changes ``dropped`` and ``dropped_hash``
    (an order-free hash of the dropped edges, so one edge dropped and another restored still differs);
    the node and edge counts catch rows written without a build.
    """

    build_id: int | None
    built_at: str | None
    nodes: int
    edges: int
    dropped: int
    dropped_hash: int


def graph_cache_key(con: duckdb.DuckDBPyConnection) -> GraphKey:
    """The stored graph's current ``GraphKey``: three small queries (the verdict column is the only scan)."""
    build = one(con, "SELECT id, created_at FROM graph_builds ORDER BY id DESC LIMIT 1")
    dropped, dropped_hash = one(
        con,
        """SELECT count(*), coalesce(bit_xor(hash(rowid, src, dst, kind)), 0)
           FROM graph_edges WHERE judge = 'drop'""",
    ) or (0, 0)
    return GraphKey(
        build_id=None if build is None else int(build[0]),
        built_at=None if build is None else str(build[1]),
        nodes=int(scalar(con, "SELECT count(*) FROM graph_nodes")),
        edges=int(scalar(con, "SELECT count(*) FROM graph_edges")),
        dropped=int(dropped),
        dropped_hash=int(dropped_hash),
    )


def graph_stats(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Nodes, edges by kind, components and the degree distribution of the stored graph."""
    last = one(con, "SELECT id, embedder, threshold, top_k, seconds, params FROM graph_builds ORDER BY id DESC LIMIT 1")
    params = json.loads(last[5]) if last is not None and last[5] else {}
    by_kind = dict(run(con, "SELECT kind, count(*) FROM graph_edges GROUP BY kind"))
    degrees = dict(run(con, "SELECT degree, count(*) FROM graph_nodes GROUP BY degree ORDER BY degree"))
    sizes = [n for (n,) in run(con, "SELECT count(*) AS n FROM graph_nodes GROUP BY component ORDER BY n DESC")]
    return {
        "build": None
        if last is None
        else {
            "id": last[0],
            "embedder": last[1],
            "threshold": last[2],
            "top_k": last[3],
            "seconds": round(last[4], 2),
            # None: built before the force-directed layout, positions are a projection of the tools' vectors
            "layout": params.get("layout"),
        },
        "nodes": int(scalar(con, "SELECT count(*) FROM graph_nodes")),
        "edges": int(sum(by_kind.values())),
        "edges_by_kind": {k: int(by_kind.get(k, 0)) for k in EDGE_KINDS},
        "components": len(sizes),
        "largest_component": sizes[0] if sizes else 0,
        "isolated": int(degrees.get(0, 0)),
        "degree_distribution": {str(k): int(v) for k, v in degrees.items()},
        "component_sizes": sizes[:20],
    }


def tool_edges(con: duckdb.DuckDBPyConnection, tool_id: str) -> list[dict[str, Any]]:
    """Edges touching one tool, with the other tool's name and the evidence, best first."""
    found = rows(
        con,
        """SELECT e.src, e.dst, e.kind, e.score, e.method, e.evidence, s.name AS src_name, d.name AS dst_name
           FROM graph_edges e JOIN graph_nodes s ON s.tool_id = e.src JOIN graph_nodes d ON d.tool_id = e.dst
           WHERE e.src = ? OR e.dst = ? ORDER BY e.score DESC""",
        [tool_id, tool_id],
    )
    for e in found:
        e["evidence"] = json.loads(e["evidence"])
    return found


def neighbourhood(
    con: duckdb.DuckDBPyConnection,
    tool_id: str,
    *,
    depth: int = 1,
    max_nodes: int = 100,
    kinds: tuple[str, ...] = EDGE_KINDS,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Breadth-first neighbourhood of a tool, at most ``max_nodes`` nodes (strongest edges first), and the
    edges among them; never more than asked for goes to the browser."""
    if not kinds:
        return [], []
    placeholders = ", ".join("?" for _ in kinds)
    seen = [tool_id]
    frontier = [tool_id]
    for _ in range(max(depth, 0)):
        if not frontier or len(seen) >= max_nodes:
            break
        marks = ", ".join("?" for _ in frontier)
        found = run(
            con,
            f"""SELECT other, max(score) AS best FROM (
                    SELECT dst AS other, score FROM graph_edges WHERE src IN ({marks}) AND kind IN ({placeholders})
                    UNION ALL
                    SELECT src AS other, score FROM graph_edges WHERE dst IN ({marks}) AND kind IN ({placeholders})
                ) GROUP BY other ORDER BY best DESC, other""",
            [*frontier, *kinds, *frontier, *kinds],
        )
        known = set(seen)
        frontier = []
        for other, _ in found:
            if other not in known and len(seen) < max_nodes:
                seen.append(other)
                known.add(other)
                frontier.append(other)
    marks = ", ".join("?" for _ in seen)
    nodes = rows(
        con,
        f"""SELECT n.tool_id, n.name, n.label, n.x, n.y, n.degree, t.description FROM graph_nodes n
            JOIN tools t ON t.id = n.tool_id WHERE n.tool_id IN ({marks})""",
        seen,
    )
    edges = rows(
        con,
        f"""SELECT src, dst, kind, score, evidence FROM graph_edges
            WHERE src IN ({marks}) AND dst IN ({marks}) AND kind IN ({placeholders}) ORDER BY score DESC""",
        [*seen, *seen, *kinds],
    )
    for e in edges:
        e["evidence"] = json.loads(e["evidence"])
    order = {t: i for i, t in enumerate(seen)}
    return sorted(nodes, key=lambda n: order[n["tool_id"]]), edges


def overview(
    con: duckdb.DuckDBPyConnection, *, kinds: tuple[str, ...] = EDGE_KINDS, max_edges: int = 20_000
) -> tuple[list[dict[str, Any]], list[tuple[float, float, float, float, str]]]:
    """Every node with its stored position, and the ``max_edges`` strongest edges of ``kinds`` as coordinate
    pairs with their kind (``x0, y0, x1, y1, kind``)."""
    nodes = rows(con, "SELECT tool_id, name, label, dataset, x, y, degree, component FROM graph_nodes")
    if not kinds or max_edges <= 0:
        return nodes, []
    placeholders = ", ".join("?" for _ in kinds)
    segments = run(
        con,
        f"""SELECT s.x, s.y, d.x, d.y, e.kind FROM (
                SELECT src, dst, kind, score FROM graph_edges WHERE kind IN ({placeholders})
                ORDER BY score DESC, src, dst LIMIT ?
            ) e JOIN graph_nodes s ON s.tool_id = e.src JOIN graph_nodes d ON d.tool_id = e.dst""",
        [*kinds, max_edges],
    )
    return nodes, segments
