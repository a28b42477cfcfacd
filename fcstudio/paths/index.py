"""What sampling paths needs from the tool graph, gathered once per graph so a path costs the same at any size.

Scanning the networkx graph for every path (start candidates = every node with a dependency successor,
each edge's evidence decoded) made ``paths sample --n 5000`` take 47 minutes at 7k tools. ``WalkIndex``
holds, per node, its sorted dependency successors, the (return field, parameter) of the best dependency
edge to each, its producers, the start candidates per label and each tool's required parameters; an
operation then touches only the nodes on its path.

The link of an edge is the best-scored item of its evidence whose output fits the argument
(``paths.fit.mismatch``: types, formats, dates and identifiers); an edge whose evidence has items but none
that fits is no step of a walk (book_hotel's ``reservation_id`` never feeds reserve_table's ``time``).

``load_walk_index`` reads it with SQL that touches only dependency edges, takes the best edge per pair and
its evidence items in DuckDB, and decodes only the schemas of the tools those edges join.
``WalkIndex.from_graph`` builds the same index from an in-memory graph (``graph.load_graph``). The index is immutable, so the app keeps one per
(workspace, ``graph.graph_cache_key``) and shares it between reruns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import duckdb
import networkx as nx

from fcstudio.graph.read import GraphKey, graph_cache_key
from fcstudio.paths.fit import Shapes, Side, return_fields, sides_mismatch
from fcstudio.store import run

Link = tuple[str, str]  # (return field, parameter): which output of the producer feeds which argument
Evidence = list[tuple[str | None, str | None, float | None]]  # an edge's items: (from, to, score)
NO_FIT = "no fit"  # _choose: the edge has evidence, and none of it fits


@dataclass(frozen=True)
class WalkIndex:
    """The graph as the path operations see it. Treat the mappings as read-only: the index is shared."""

    nodes: tuple[str, ...]  # every node, sorted (the pool long_context draws distractors from)
    names: dict[str, str]  # node -> tool name
    labels: dict[str, str | None]  # node -> its first label ('' for none; None for a node only edges name)
    successors: dict[str, tuple[str, ...]]  # node -> sorted dependency successors, itself excluded
    links: dict[str, dict[str, Link | None]]  # src -> dst -> link of the best dependency edge (None: no evidence)
    producers: dict[str, tuple[tuple[str, Link], ...]]  # node -> (producer, link) sorted by producer
    feeding: dict[str, dict[str, tuple[int, ...]]]  # node -> parameter -> positions in producers[node] feeding it
    starts: dict[str | None, tuple[str, ...]]  # label (None: any) -> sorted start candidates
    required: dict[str, tuple[str, ...]]  # tool -> required parameters, in the schema's order
    by_name: tuple[str, ...]  # every node ordered by tool name, then id (for pickers)
    key: GraphKey | None = field(default=None, compare=False)  # the graph_cache_key it was read at

    def __contains__(self, node: object) -> bool:
        return node in self.names

    def name(self, node: str) -> str:
        return self.names.get(node, node)

    def successors_of(self, node: str) -> tuple[str, ...]:
        return self.successors.get(node, ())

    def link(self, src: str, dst: str) -> Link | None:
        """(return field, parameter) of the best dependency edge src -> dst, None when there is none."""
        return self.links.get(src, {}).get(dst)

    def producers_of(self, node: str) -> tuple[tuple[str, Link], ...]:
        return self.producers.get(node, ())

    def feeding_positions(self, node: str, param: str) -> tuple[int, ...]:
        """Positions in ``producers_of(node)`` of the producers that feed ``param`` (ascending)."""
        return self.feeding.get(node, {}).get(param, ())

    def start_candidates(self, label: str | None = None) -> tuple[str, ...]:
        """Nodes (of ``label``) with a dependency successor, or every such node when none has one."""
        return self.starts.get(label, ())

    def required_of(self, tool_id: str) -> tuple[str, ...]:
        return self.required.get(tool_id, ())

    @classmethod
    def from_graph(cls, g: nx.MultiDiGraph, required: dict[str, list[str]], shapes: Shapes | None = None) -> WalkIndex:
        """The index of an in-memory graph (``load_graph``), ``path_store.required_params`` and ``tool_shapes``
        (without shapes only the field and parameter names decide what fits)."""
        best: dict[tuple[str, str], dict[str, Any]] = {}
        for src, dst, data in g.edges(data=True):  # edge order: the first of equal scores wins
            if data.get("kind") != "dependency" or src == dst:
                continue
            known = best.get((src, dst))
            if known is None or data["score"] > known["score"]:
                best[(src, dst)] = data
        pairs = _fitting({pair: _evidence_of(data.get("evidence")) for pair, data in best.items()}, shapes or {})
        nodes = {n: (g.nodes[n].get("name", n), g.nodes[n].get("label")) for n in g.nodes}
        return _assemble(nodes, pairs, {n: tuple(required.get(n, ())) for n in g.nodes if n in required})


def _evidence_of(evidence: Any) -> Evidence:
    """An edge's evidence as (from, to, score) items, as DuckDB's ``json_transform`` reads them."""
    if not isinstance(evidence, list):
        return []
    items: Evidence = []
    for item in evidence:
        item = item if isinstance(item, dict) else {}
        source, target, score = item.get("from"), item.get("to"), item.get("score")
        items.append(
            (
                source if isinstance(source, str) else None,
                target if isinstance(target, str) else None,
                float(score) if isinstance(score, int | float) and not isinstance(score, bool) else None,
            )
        )
    return items


def _choose(
    src: str, dst: str, evidence: Evidence, shapes: Shapes, sides: dict[tuple[str, str, int], Side] | None = None
) -> Link | str | None:
    """The best-scored evidence item whose output fits its argument; None when no item names a link (the edge
    stays, without a link); ``NO_FIT`` when items do but none fits (the edge is no step of a walk). ``sides``
    keeps each (tool, field or parameter) side built once across the edges of one index."""
    links = [(link, score) for source, target, score in evidence if (link := _link(source, target)) is not None]
    if not links:
        return None
    sides = {} if sides is None else sides
    ranked = sorted(links, key=lambda item: -item[1] if item[1] is not None else float("inf"))  # stable
    for (output, param), _ in ranked:
        out = sides.get((src, output, 1))
        if out is None:
            out = sides[(src, output, 1)] = Side(output, shapes.get(src, ({}, {}))[1].get(output))
        arg = sides.get((dst, param, 0))
        if arg is None:
            arg = sides[(dst, param, 0)] = Side(param, shapes.get(dst, ({}, {}))[0].get(param))
        if sides_mismatch(out, arg) is None:
            return output, param
    return NO_FIT


def _fitting(evidence: dict[tuple[str, str], Evidence], shapes: Shapes) -> dict[tuple[str, str], Link | None]:
    sides: dict[tuple[str, str, int], Side] = {}
    chosen = {(src, dst): _choose(src, dst, items, shapes, sides) for (src, dst), items in evidence.items()}
    return {pair: link for pair, link in chosen.items() if not isinstance(link, str)}


def _shape(parameters: Any, returns: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    props = parameters.get("properties") if isinstance(parameters, dict) else None
    params = {k: v for k, v in props.items() if isinstance(v, dict)} if isinstance(props, dict) else {}
    return params, dict(return_fields(returns))


def tool_shapes(con: duckdb.DuckDBPyConnection, ids: list[str] | None = None) -> Shapes:
    """Parameter and return-field schemas of the tools ``ids`` (default: every tool), for the fit check."""
    sql = "SELECT id, parameters, returns FROM tools"
    if ids is not None:
        if not ids:
            return {}
        con.register("_shape_ids", _id_table(ids))
        sql += " SEMI JOIN _shape_ids USING (id)"
    try:
        found = run(con, sql)
    finally:
        if ids is not None:
            con.unregister("_shape_ids")
    shapes: Shapes = {}
    for tool_id, parameters, returns in found:
        try:
            shapes[tool_id] = _shape(json.loads(parameters), json.loads(returns) if returns else None)
        except ValueError:
            shapes[tool_id] = ({}, {})
    return shapes


def _id_table(ids: list[str]) -> Any:
    import pyarrow as pa

    return pa.table({"id": pa.array(sorted(set(ids)), pa.string())})


def _link(source: str | None, target: str | None) -> Link | None:
    if not isinstance(source, str) or not isinstance(target, str):
        return None
    return source.removeprefix("returns."), target.removeprefix("param ")


def _assemble(
    nodes: dict[str, tuple[str, str | None]],
    pairs: dict[tuple[str, str], Link | None],
    required: dict[str, tuple[str, ...]],
    key: GraphKey | None = None,
) -> WalkIndex:
    """Successor, producer and start lists from the nodes and the best dependency link per (src, dst)."""
    links: dict[str, dict[str, Link | None]] = {}
    feeds: dict[str, list[tuple[str, Link]]] = {}
    for (src, dst), link in pairs.items():
        links.setdefault(src, {})[dst] = link
        if link is not None:  # a producer is only offered when its edge says which output feeds which argument
            feeds.setdefault(dst, []).append((src, link))
    successors = {src: tuple(sorted(dsts)) for src, dsts in links.items()}
    producers = {dst: tuple(sorted(found)) for dst, found in feeds.items()}
    feeding: dict[str, dict[str, tuple[int, ...]]] = {}
    for dst, found in producers.items():
        by_param: dict[str, list[int]] = {}
        for position, (_, (_, param)) in enumerate(found):
            by_param.setdefault(param, []).append(position)
        feeding[dst] = {param: tuple(positions) for param, positions in by_param.items()}
    by_label: dict[str | None, list[str]] = {None: list(nodes)}
    for node, (_, label) in nodes.items():
        if label is not None:
            by_label.setdefault(label, []).append(node)
    starts = {}
    for label, members in by_label.items():
        with_successor = [n for n in members if n in successors]
        starts[label] = tuple(sorted(with_successor or members))
    return WalkIndex(
        nodes=tuple(sorted(nodes)),
        names={n: name for n, (name, _) in nodes.items()},
        labels={n: label for n, (_, label) in nodes.items()},
        successors=successors,
        links=links,
        producers=producers,
        feeding=feeding,
        starts=starts,
        required=required,
        by_name=tuple(sorted(nodes, key=lambda n: (nodes[n][0], n))),
        key=key,
    )


# Nodes as load_graph has them: graph_nodes, plus any endpoint only an edge names (kept for fidelity; a
# build never writes one), each with its tool's required parameters (has_tool false: no tool row).
NODES_SQL = """
    WITH named AS (
        SELECT tool_id, name, label FROM graph_nodes
        UNION ALL
        SELECT e.node, e.node, NULL FROM (
            SELECT src AS node FROM graph_edges WHERE judge IS NULL OR judge <> 'drop'
            UNION SELECT dst FROM graph_edges WHERE judge IS NULL OR judge <> 'drop'
        ) e ANTI JOIN graph_nodes n ON n.tool_id = e.node
    )
    SELECT named.tool_id, named.name, named.label, t.id IS NOT NULL AS has_tool,
           json_extract(t.parameters, '$.required')::VARCHAR AS required
    FROM named LEFT JOIN tools t ON t.id = named.tool_id"""
# The best dependency edge per (src, dst): highest score, the first stored among equal ones (as load_graph's
# edge order gives); its evidence items are read by DuckDB as (from, to, score) structs.
LINKS_SQL = """
    SELECT src, dst, try(json_transform(evidence, '[{"from": "VARCHAR", "to": "VARCHAR", "score": "DOUBLE"}]'))
    FROM (
        SELECT src, dst, evidence,
               row_number() OVER (PARTITION BY src, dst ORDER BY score DESC, rowid) AS rank
        FROM graph_edges
        WHERE kind = 'dependency' AND src <> dst AND (judge IS NULL OR judge <> 'drop')
    ) WHERE rank = 1"""


def load_walk_index(con: duckdb.DuckDBPyConnection, *, attempts: int = 3) -> WalkIndex:
    """The index of the stored graph (edges judged ``drop`` left out, as in ``load_graph``).

    The cache key is read before and after; if the graph changed in between (a rebuild or a verdict from
    another cursor), it is read again, so ``index.key`` always describes what the index holds.
    """
    for _ in range(attempts):
        key = graph_cache_key(con)
        nodes, required = {}, {}
        for tool_id, name, label, has_tool, text in run(con, NODES_SQL):
            nodes[tool_id] = (name, label)
            if has_tool:
                required[tool_id] = tuple(json.loads(text) or ()) if text is not None else ()
        evidence = {
            (src, dst): [(i["from"], i["to"], i["score"]) for i in items or ()]
            for src, dst, items in run(con, LINKS_SQL)
        }
        shapes = tool_shapes(con, sorted({n for pair in evidence for n in pair}))
        pairs = _fitting(evidence, shapes)
        if graph_cache_key(con) == key:
            return _assemble(nodes, pairs, required, key)
    raise RuntimeError(f"the tool graph kept changing while it was read ({attempts} attempts)")
