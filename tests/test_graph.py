"""The tool graph: similarity edges with evidence on the demo catalogue, storage, stats and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

from conftest import copy_of, demo_workspace, run_cli, template
from fcstudio.graph.build import build_graph, relayout_graph, similar_pairs, tool_fields
from fcstudio.graph.embed import TfidfEmbedder, make_embedder, split_identifier
from fcstudio.graph.layout import force_layout, label_boxes, neighbourhood_layout, short_label
from fcstudio.graph.read import graph_stats, load_graph, overview, tool_edges
from fcstudio.store import Workspace, rows, run


def _make_demo_graph(ws: Workspace) -> None:
    demo_workspace(ws.path)
    with ws.connect() as con:
        build_graph(con, TfidfEmbedder(), threshold=0.4, top_k=5)


@pytest.fixture
def demo_graph(tmp_path: Path) -> Workspace:
    """This test's own copy of the demo workspace with its TF-IDF graph (threshold 0.4, top 5)."""
    return copy_of(template("demo-graph", _make_demo_graph), tmp_path / "ws.duckdb")


def _ids(ws: Workspace) -> dict[str, str]:
    with ws.connect() as con:
        return {r["name"]: r["id"] for r in rows(con, "SELECT id, name FROM tools")}


def test_split_identifier() -> None:
    assert split_identifier("getAirportSymbol_byCity2") == "get airport symbol by city 2"
    assert split_identifier("HTTPServer.start") == "http server start"


def test_check_calendar_returns_a_location_that_feeds_navigate(demo_graph: Workspace) -> None:
    ids = _ids(demo_graph)
    with demo_graph.connect() as con:
        edges = tool_edges(con, ids["check_calendar"])
    feed = [
        e
        for e in edges
        if e["kind"] == "dependency" and e["src_name"] == "check_calendar" and e["dst_name"] == "navigate"
    ]
    assert feed, "parameter-return similarity should link check_calendar to navigate"
    assert {"from": "returns.events[].location", "to": "param location"} == {
        k: feed[0]["evidence"][0][k] for k in ("from", "to")
    }
    assert feed[0]["score"] >= 0.4 and feed[0]["method"] == "tfidf>=0.4"


def test_location_and_destination_parameters_are_linked(demo_graph: Workspace) -> None:
    ids = _ids(demo_graph)
    with demo_graph.connect() as con:
        edges = tool_edges(con, ids["set_navigation"])
    linked = [
        e for e in edges if e["kind"] == "param" and {e["src_name"], e["dst_name"]} == {"set_navigation", "navigate"}
    ]
    assert linked
    evidence = {(ev["from"], ev["to"]) for ev in linked[0]["evidence"]}
    assert ("param location", "param destination") in evidence or ("param destination", "param location") in evidence


def test_every_edge_keeps_its_evidence_and_no_self_loops(demo_graph: Workspace) -> None:
    with demo_graph.connect() as con:
        edges = rows(con, "SELECT src, dst, kind, score, method, evidence FROM graph_edges")
        stats = graph_stats(con)
        g = load_graph(con)
    assert edges and all(e["src"] != e["dst"] for e in edges)
    for e in edges:
        evidence = json.loads(e["evidence"])
        assert evidence and all("score" in ev for ev in evidence)
        if e["kind"] == "label":
            assert all("label" in ev for ev in evidence)
        else:
            assert e["score"] >= 0.4 and all({"from", "to"} <= set(ev) for ev in evidence)
    assert stats["nodes"] == 30 and stats["edges"] == len(edges)
    assert sum(stats["edges_by_kind"].values()) == len(edges)
    assert sum(stats["degree_distribution"].values()) == 30
    assert g.number_of_nodes() == 30
    # dependency edges are directed; param/label edges are usable both ways for walks
    dep = next(e for e in edges if e["kind"] == "dependency")
    assert g.has_edge(dep["src"], dep["dst"])


def test_rebuild_replaces_the_graph_and_positions_are_stored(demo_graph: Workspace) -> None:
    with demo_graph.connect() as con:
        strict = build_graph(con, TfidfEmbedder(), threshold=0.9, top_k=2)
        nodes = rows(con, "SELECT x, y FROM graph_nodes")
        n_edges = len(rows(con, "SELECT 1 FROM graph_edges"))
        loose = build_graph(con, TfidfEmbedder(), threshold=0.4, top_k=5)
    assert n_edges == strict["edges"] < loose["edges"]
    assert len(nodes) == 30 and len({(round(n["x"], 6), round(n["y"], 6)) for n in nodes}) > 20


def test_similar_pairs_threshold_top_k_and_owner_exclusion() -> None:
    a = sparse.csr_matrix(np.array([[1.0, 0.0], [0.6, 0.8]], dtype=np.float32))
    b = sparse.csr_matrix(np.array([[1.0, 0.0], [0.0, 1.0], [0.8, 0.6]], dtype=np.float32))
    got = sorted(similar_pairs(a, b, np.array([0, 1]), np.array([0, 2, 3]), threshold=0.5, top_k=2))
    # row 0 may not match column 0 (same owner); row 1 keeps its two best above 0.5
    assert got == [(0, 2, pytest.approx(0.8)), (1, 1, pytest.approx(0.8)), (1, 2, pytest.approx(0.96))]


def test_fields_follow_toolflow_encoding() -> None:
    tools = [
        {
            "parameters": {"properties": {"city": {"description": "City name"}}},
            "returns": {
                "properties": {
                    "items": {"type": "array", "items": {"properties": {"location": {"description": "Where"}}}}
                }
            },
        }
    ]
    fields = tool_fields(tools)
    assert [(f.kind, f.path, f.text) for f in fields] == [
        ("param", "city", "city: City name"),
        ("return", "items", "items: "),
        ("return", "items[].location", "location: Where"),
    ]


def test_embedder_spec() -> None:
    assert make_embedder("tfidf").name == "tfidf"
    assert make_embedder("openai:text-embedding-3-small").name == "openai:text-embedding-3-small"
    with pytest.raises(ValueError, match="unknown embedder"):
        make_embedder("word2vec")


def test_cli_graph_build_and_stats(tmp_path: Path) -> None:
    ws = tmp_path / "w.duckdb"
    assert run_cli("init", "--demo", workspace=ws).returncode == 0
    built = run_cli("graph", "build", "--top-k", "3", workspace=ws)
    assert built.returncode == 0, built.stderr
    summary = json.loads(built.stdout)
    assert summary["nodes"] == 30 and summary["edges"] > 0
    stats = json.loads(run_cli("graph", "stats", workspace=ws).stdout)
    assert stats["build"]["top_k"] == 3 and stats["build"]["threshold"] == 0.4 and stats["edges"] == summary["edges"]
    bad = run_cli("graph", "build", "--embedder", "magic", workspace=ws)
    assert bad.returncode == 2 and "unknown embedder" in bad.stderr


def test_openai_compatible_embeddings_endpoint(tmp_path: Path) -> None:
    from openai_stub import StubServer

    ws = demo_workspace(tmp_path / "w.duckdb")
    with StubServer() as server:
        embedder = make_embedder("openai:stub-embed", base_url=server.base_url)
        with ws.connect() as con:
            summary = build_graph(con, embedder, threshold=0.82, top_k=5)
        assert server.requests and all(
            r["path"] == "/v1/embeddings" and r["body"]["model"] == "stub-embed" for r in server.requests
        )
        n_texts = sum(len(r["body"]["input"]) for r in server.requests)
    with ws.connect() as con:
        stats = graph_stats(con)
        n_fields = len(
            tool_fields(
                [{"parameters": json.loads(p), "returns": json.loads(r) if r else None} for p, r in rows_of(con)]
            )
        )
    assert n_texts == n_fields + 30  # every field and every tool was embedded once
    assert stats["build"]["embedder"] == "openai:stub-embed" and stats["build"]["threshold"] == 0.82
    assert summary["edges"] > 0


def rows_of(con) -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    return [(r["parameters"], r["returns"]) for r in rows(con, "SELECT parameters, returns FROM tools ORDER BY id")]


def test_llm_judge_keeps_or_drops_edges_with_reasons(tmp_path: Path) -> None:
    from openai_stub import StubServer

    from fcstudio.graph.judge import judge_edges
    from fcstudio.jobs import get_job, job_failures
    from fcstudio.llm import LLMConfig

    def scripted(prompt: str) -> str:
        if "Tool B: delete_calendar_event" in prompt:
            return 'Not related: {"keep": false, "reason": "deleting is not a follow-up here"}'
        if "Tool B: set_reminder" in prompt:
            return "{broken json"
        return '{"keep": true, "reason": "the output feeds the input"}'

    ws = demo_workspace(tmp_path / "w.duckdb")
    with ws.connect() as con:
        build_graph(con, TfidfEmbedder(), threshold=0.4, top_k=5)
        n_dep = len(rows(con, "SELECT 1 FROM graph_edges WHERE kind = 'dependency'"))
        n_reminder = len(
            rows(
                con,
                """SELECT 1 FROM graph_edges e JOIN graph_nodes d ON d.tool_id = e.dst
                   WHERE kind = 'dependency' AND d.name = 'set_reminder'""",
            )
        )
    with StubServer(chat=scripted) as server, ws.connect() as con:
        llm = LLMConfig(model="stub-judge", base_url=server.base_url, concurrency=4)
        summary = judge_edges(con, llm)
        assert all(r["path"] == "/v1/chat/completions" for r in server.requests)
        verdicts = rows(
            con,
            "SELECT d.name AS dst, judge, judge_reason FROM graph_edges e JOIN graph_nodes d ON d.tool_id = e.dst WHERE kind = 'dependency'",
        )
        g = load_graph(con)
        job = get_job(con, summary.job_id)
        failures = job_failures(con, summary.job_id)
        again = judge_edges(con, llm)
    counts = summary.counts
    assert sum(counts.values()) == n_dep and counts["drop"] >= 1
    assert again.counts == {"keep": 0, "drop": 0, "invalid": 0}  # judged edges are not asked twice
    dropped = [v for v in verdicts if v["judge"] == "drop"]
    assert dropped and all(
        v["dst"] == "delete_calendar_event" and "not a follow-up" in v["judge_reason"] for v in dropped
    )
    assert n_reminder >= 1 and all(v["judge"] == "invalid" for v in verdicts if v["dst"] == "set_reminder")
    # an unusable reply is a failed item: recorded with the reason, and the job is partial, not done
    assert job is not None and job["status"] == "partial" and job["items_failed"] == n_reminder
    assert job["items_total"] == n_dep and "of" in job["status_text"]
    assert len(failures) == n_reminder and all("set_reminder" in f["item"] for f in failures)
    assert all("unusable judge reply" in f["error"] for f in failures)
    assert not any(
        d.get("kind") == "dependency" and g.nodes[v].get("name") == "delete_calendar_event"
        for _, v, d in g.edges(data=True)
    )


def test_a_judge_call_that_fails_leaves_its_edge_for_the_next_run(tmp_path: Path) -> None:
    """An endpoint refusing one edge's request (HTTP 500) fails that edge alone: recorded with the error, left
    unjudged, and asked again by the next run, which then judges it."""
    from openai_stub import Status, StubServer

    from fcstudio.graph.judge import judge_edges
    from fcstudio.jobs import job_failures
    from fcstudio.llm import LLMConfig

    down = {"on": True}

    def respond(body: dict) -> object:
        if down["on"] and "Tool B: send_email" in body["messages"][-1]["content"]:
            return Status(500)
        return '{"keep": true, "reason": "fits"}'

    ws = demo_workspace(tmp_path / "w.duckdb")
    with ws.connect() as con:
        build_graph(con, TfidfEmbedder(), threshold=0.4, top_k=5)
        to_send = len(
            rows(
                con,
                """SELECT 1 FROM graph_edges e JOIN graph_nodes d ON d.tool_id = e.dst
                   WHERE kind = 'dependency' AND d.name = 'send_email'""",
            )
        )
    assert to_send >= 1
    with StubServer(respond=respond) as server, ws.connect() as con:
        llm = LLMConfig(model="stub-judge", base_url=server.base_url, max_retries=0)
        first = judge_edges(con, llm)
        failures = job_failures(con, first.job_id)
        down["on"] = False
        second = judge_edges(con, llm)
        unjudged = rows(con, "SELECT count(*) AS n FROM graph_edges WHERE kind = 'dependency' AND judge IS NULL")
    assert first.status == "partial" and len(failures) == to_send
    assert all(
        "send_email" in f["item"] and "judge call failed" in f["error"] and "HTTP 500" in f["error"] for f in failures
    )
    assert second.status == "done" and second.total == to_send and second.counts["keep"] == to_send
    assert unjudged == [{"n": 0}]


# -- stored layout --------------------------------------------------------------------------------------------


def _spread_ratio(xy: np.ndarray) -> float:
    """Smaller over larger principal spread: 0 for points on one line (the old diagonal), 1 for a round cloud."""
    values = np.linalg.eigvalsh(np.cov((xy - xy.mean(axis=0)).T))
    return float(np.sqrt(values[0] / values[1]))


def test_build_stores_a_force_layout_where_linked_tools_sit_together(demo_graph: Workspace) -> None:
    with demo_graph.connect() as con:
        stats = graph_stats(con)
        nodes = rows(con, "SELECT tool_id, x, y, component FROM graph_nodes ORDER BY tool_id")
        edges = rows(con, "SELECT src, dst FROM graph_edges")
        params = json.loads(rows(con, "SELECT params FROM graph_builds")[0]["params"])
    assert stats["build"]["layout"] == "force" and params["layout"] == "force" and params["layout_seconds"] < 5
    where = {n["tool_id"]: np.array([n["x"], n["y"]]) for n in nodes}
    xy = np.array(list(where.values()))
    assert _spread_ratio(xy) > 0.3  # a picture, not a line
    linked = np.mean([np.linalg.norm(where[e["src"]] - where[e["dst"]]) for e in edges])
    pairs = np.linalg.norm(xy[:, None] - xy[None], axis=2)
    assert linked < 0.6 * pairs[np.triu_indices(len(xy), 1)].mean()
    close = pairs + np.eye(len(xy)) * 1e9
    assert close.min() > 0.05  # no two tools drawn on top of each other


def test_force_layout_packs_components_apart_and_is_deterministic() -> None:
    # a 12-clique, a 4-path, a pair and three isolated nodes
    clique = [(i, j) for i in range(12) for j in range(i + 1, 12)]
    path = [(12, 13), (13, 14), (14, 15)]
    src, dst = zip(*(clique + path + [(16, 17)]), strict=True)
    pos = force_layout(21, src, dst, seed=3)
    assert np.array_equal(pos, force_layout(21, src, dst, seed=3))
    assert not np.array_equal(pos, force_layout(21, src, dst, seed=4))
    groups = [range(12), range(12, 16), range(16, 18), [18], [19], [20]]
    boxes = [(pos[list(g)].min(axis=0), pos[list(g)].max(axis=0)) for g in groups]
    for i, (low_a, high_a) in enumerate(boxes):
        for low_b, high_b in boxes[i + 1 :]:
            apart = (high_a < low_b) | (high_b < low_a)
            assert apart.any(), "two components drawn over each other"
    lengths = [np.linalg.norm(pos[a] - pos[b]) for a, b in path]
    assert 0.8 < np.median(lengths) < 1.25  # edge length about one unit
    assert 2.5 < np.linalg.norm(pos[12] - pos[15]) < 3.5  # canvas distance follows path length: the path lies straight


def test_force_layout_of_a_big_component_lays_out_a_sample_and_places_the_rest() -> None:
    rng = np.random.default_rng(0)
    n = 3000
    # one component: a chain through every node plus random chords, hubs among the first nodes
    src = np.r_[np.arange(n - 1), rng.integers(0, 50, 4000)]
    dst = np.r_[np.arange(1, n), rng.integers(0, n, 4000)]
    pos = force_layout(n, src, dst, sample=300)
    assert pos.shape == (n, 2) and np.isfinite(pos).all()
    assert len({(round(x, 6), round(y, 6)) for x, y in pos}) == n
    edge = np.linalg.norm(pos[src] - pos[dst], axis=1).mean()
    sample = rng.integers(0, n, (2000, 2))
    assert edge < 0.7 * np.linalg.norm(pos[sample[:, 0]] - pos[sample[:, 1]], axis=1).mean()


def test_relayout_replaces_positions_and_records_the_layout(demo_graph: Workspace) -> None:
    with demo_graph.connect() as con:
        run(con, "UPDATE graph_builds SET params = json_object('label_top_k', 3)")
        run(con, "UPDATE graph_nodes SET x = degree, y = degree")
        before = rows(con, "SELECT tool_id, degree, component FROM graph_nodes ORDER BY tool_id")
        assert graph_stats(con)["build"]["layout"] is None
        summary = relayout_graph(con, seed=1)
        after = rows(con, "SELECT tool_id, degree, component, x, y FROM graph_nodes ORDER BY tool_id")
        params = json.loads(rows(con, "SELECT params FROM graph_builds")[0]["params"])
    assert summary["nodes"] == 30 and summary["edges"] == 135
    assert [(r["tool_id"], r["degree"], r["component"]) for r in after] == [tuple(r.values()) for r in before]
    assert _spread_ratio(np.array([[r["x"], r["y"]] for r in after])) > 0.3
    assert params == {"label_top_k": 3, "layout": "force", "layout_seconds": params["layout_seconds"], "layout_seed": 1}


def test_cli_graph_layout(tmp_path: Path) -> None:
    ws = demo_workspace(tmp_path / "ws.duckdb")
    refused = run_cli("graph", "layout", workspace=ws.path)
    assert refused.returncode == 2 and "build it first" in refused.stderr
    assert run_cli("graph", "build", workspace=ws.path).returncode == 0
    with ws.connect() as con:
        first = rows(con, "SELECT x, y FROM graph_nodes ORDER BY tool_id")
    done = run_cli("graph", "layout", "--seed", "5", workspace=ws.path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) | {"seconds": 0} == {
        "nodes": 30,
        "edges": 135,
        "layout": "force",
        "seed": 5,
        "seconds": 0,
    }
    with ws.connect() as con:
        assert rows(con, "SELECT x, y FROM graph_nodes ORDER BY tool_id") != first


def test_overview_segments_carry_their_kind_and_respect_the_limit(demo_graph: Workspace) -> None:
    with demo_graph.connect() as con:
        nodes, segments = overview(con, kinds=("param", "label"), max_edges=1000)
        _, none = overview(con, kinds=("dependency",), max_edges=0)
        _, three = overview(con, kinds=("dependency",), max_edges=3)
        stats = graph_stats(con)
    assert len(nodes) == 30 and none == [] and len(three) == 3 and {s[4] for s in three} == {"dependency"}
    assert len(segments) == stats["edges_by_kind"]["param"] + stats["edges_by_kind"]["label"]
    assert {s[4] for s in segments} == {"param", "label"}
    assert sum(stats["component_sizes"]) == 30 and stats["component_sizes"] == sorted(stats["component_sizes"])[::-1]


def test_neighbourhood_layout_keeps_every_label_apart() -> None:
    ids = [f"t{i}" for i in range(40)]
    labels = [short_label(f"{'get_a_rather_long_tool_name_' if i % 3 else 'find_'}{i}") for i in range(40)]
    sizes = [18.0] + [10.0] * 39
    edges = [("t0", f"t{i}") for i in range(1, 40)] + [(f"t{i}", f"t{i + 1}") for i in range(1, 39)]
    where = neighbourhood_layout(ids, labels, sizes, edges, centre="t0")
    assert where == neighbourhood_layout(ids, labels, sizes, edges, centre="t0")
    boxes = label_boxes(labels, sizes, 14) + np.array([[where[i][0], where[i][1]] * 2 for i in ids])
    for a in range(40):
        for b in range(a + 1, 40):
            overlap_x = min(boxes[a, 2], boxes[b, 2]) - max(boxes[a, 0], boxes[b, 0])
            overlap_y = min(boxes[a, 3], boxes[b, 3]) - max(boxes[a, 1], boxes[b, 1])
            assert overlap_x <= 0 or overlap_y <= 0, (labels[a], labels[b])
    width, height = np.ptp(boxes[:, [0, 2]]), np.ptp(boxes[:, [1, 3]])
    assert width * height < 4 * ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])).sum()  # compact
    assert all(len(label) <= 32 for label in labels) and short_label("x" * 40).endswith("…")
