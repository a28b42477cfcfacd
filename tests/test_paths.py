"""FSP sampling and MAGNET's operations: invariants (hypothesis), storage with versions, the CLI."""

from __future__ import annotations

import importlib.util
import itertools
import json
import random
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, ROOT, copy_of, demo_workspace, run_cli, template
from fcstudio.graph.build import build_graph
from fcstudio.graph.embed import TfidfEmbedder
from fcstudio.graph.read import current_build_id, graph_cache_key, load_graph
from fcstudio.paths.fit import mismatch, wiring_problems
from fcstudio.paths.fsp import FSP, ArgSource, Call, PathError, Turn, canonical_key, validate
from fcstudio.paths.index import WalkIndex, load_walk_index, tool_shapes
from fcstudio.paths.operations import (
    _FeedOptions,
    _SortedWithout,
    add_call,
    insert,
    long_context,
    merge,
    move_turn,
    remove_call,
    set_source,
    split,
)
from fcstudio.paths.sampling import random_walk_path
from fcstudio.paths.store import (
    SAVE_BATCH,
    get_path,
    required_params,
    sample_fsps,
    sample_paths,
    save_edit,
    stored_keys,
)
from fcstudio.store import EditConflict, Workspace, rows, run


def _make_graph_ws(ws: Workspace) -> None:
    demo_workspace(ws.path)
    with ws.connect() as con:
        build_graph(con, TfidfEmbedder(), threshold=0.4, top_k=5)


@pytest.fixture(scope="module")
def graph_env():  # type: ignore[no-untyped-def]
    """The demo graph's template workspace (never written: tests that write use ``graph_ws``), graph and index."""
    ws = Workspace(template("paths-graph", _make_graph_ws))
    with ws.connect() as con:
        return ws, load_graph(con), load_walk_index(con)


@pytest.fixture
def graph_ws(tmp_path: Path) -> Workspace:
    """This test's own copy of the demo workspace with its graph."""
    return copy_of(template("paths-graph", _make_graph_ws), tmp_path / "ws.duckdb")


def _sample(graph_env, seed: int, steps: int = 3) -> FSP:  # type: ignore[no-untyped-def]
    _, _, index = graph_env
    return random_walk_path(index, steps=steps, rng=random.Random(seed))


def _call_keys(fsp: FSP) -> list[tuple[str, tuple[str, ...]]]:
    return [(call.tool_id, tuple(sorted(call.args))) for _, _, call in fsp.calls()]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), p=st.floats(0, 1))
def test_merge_keeps_every_call_in_order(graph_env, seed: int, p: float) -> None:  # type: ignore[no-untyped-def]
    fsp = _sample(graph_env, seed)
    merged = merge(fsp, random.Random(seed), p=p)
    assert _call_keys(merged) == _call_keys(fsp)
    assert len(merged.turns) <= len(fsp.turns)
    assert validate(merged) == []
    if p == 0:
        assert len(merged.turns) == len(fsp.turns)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), nested=st.booleans())
def test_insert_only_adds_producers_that_feed_a_call(graph_env, seed: int, nested: bool) -> None:  # type: ignore[no-untyped-def]
    _, g, index = graph_env
    fsp = _sample(graph_env, seed)
    grown = insert(fsp, index, random.Random(seed), nested=nested)
    record = grown.provenance[-1]
    assert record["op"] == "insert"
    if record["added"] is None:
        assert _call_keys(grown) == _call_keys(fsp)
        return
    assert len(grown.calls()) == len(fsp.calls()) + 1
    added_at = (record["turn"], record["call"])
    consumers = [
        (t, c, call)
        for t, c, call in grown.calls()
        for src in call.args.values()
        if src.kind == "output" and (src.turn, src.call) == added_at
    ]
    assert consumers, "the inserted producer must feed some call"
    producer = grown.turns[added_at[0]].calls[added_at[1]].tool_id
    for _, _, consumer in consumers:
        assert any(d["kind"] == "dependency" for d in (g.get_edge_data(producer, consumer.tool_id) or {}).values())
    assert validate(grown) == []


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), kind=st.sampled_from(["miss_param", "miss_func"]))
def test_split_keeps_the_original_path_intact_in_its_copy(graph_env, seed: int, kind: str) -> None:  # type: ignore[no-untyped-def]
    fsp = _sample(graph_env, seed)
    before = fsp.model_dump_json()
    copy_ = split(fsp, random.Random(seed), kind=kind)  # type: ignore[arg-type]
    assert fsp.model_dump_json() == before  # the input is untouched
    if copy_.provenance[-1].get("at", 0) is None:
        return
    extra = [t for t in copy_.turns if t.kind == kind]
    assert len(extra) == 1
    originals = [t for t in copy_.turns if t.kind == "normal"]
    assert [[c.tool_id for c in t.calls] for t in originals] == [[c.tool_id for c in t.calls] for t in fsp.turns]
    if kind == "miss_param":
        assert any(s.kind == "withheld" for c in extra[0].calls for s in c.args.values())
    else:
        assert extra[0].calls[0].tool_id in copy_.removed_tools
    assert validate(copy_) == []


def test_walk_follows_dependency_edges_and_records_provenance(graph_env) -> None:  # type: ignore[no-untyped-def]
    _, g, index = graph_env
    start = next(n for n in g.nodes if g.nodes[n]["name"] == "check_calendar")
    fsp = random_walk_path(index, steps=2, rng=random.Random(1), start=start)
    walk = fsp.provenance[0]["walk"]
    assert fsp.provenance[0] == {"op": "sample", "start": start, "steps": 2, "walk": walk, "label": None}
    for a, b in itertools.pairwise(walk):
        assert any(d["kind"] == "dependency" for d in g.get_edge_data(a, b).values())
    assert [t.calls[0].tool_id for t in fsp.turns] == walk
    second = fsp.turns[1].calls[0]
    assert any(s.kind == "output" and s.turn == 0 for s in second.args.values())


def test_validation_catches_broken_paths() -> None:
    bad = FSP(turns=[Turn(calls=[Call(tool_id="a", name="a", args={"x": ArgSource(kind="output", turn=0, call=0)})])])
    assert "not earlier" in validate(bad)[0]
    withheld = FSP(turns=[Turn(calls=[Call(tool_id="a", name="a", args={"x": ArgSource(kind="withheld")})])])
    assert "withheld outside a miss-param turn" in validate(withheld)[0]
    assert validate(FSP()) == ["the path has no turn"]
    assert "unknown tool" in validate(FSP(turns=[Turn(calls=[Call(tool_id="zz", name="zz")])]), {"a"})[0]


def test_long_context_adds_distractors_not_on_the_path(graph_env) -> None:  # type: ignore[no-untyped-def]
    _, g, index = graph_env
    fsp = _sample(graph_env, 3)
    longer = long_context(fsp, index, random.Random(0), n=10)
    used = {c.tool_id for _, _, c in fsp.calls()}
    assert len(longer.distractor_tools) == 10 and not used & set(longer.distractor_tools) and longer.long_outputs
    # the index's pool draws exactly what the sorted list of every node draws, however often it is applied
    a = b = fsp
    for seed in range(5):
        a, b = (
            long_context(a, index, random.Random(seed), n=4),
            long_context(b, sorted(g.nodes), random.Random(seed), n=4),
        )
    assert a == b and len(a.distractor_tools) == 20
    everything = long_context(fsp, index, random.Random(0), n=10_000)
    assert sorted(everything.distractor_tools) == sorted(set(index.nodes) - used)


@settings(max_examples=200, deadline=None)
@given(items=st.sets(st.text("abcdef", max_size=3), max_size=30), data=st.data())
def test_sorted_pool_without_some_items_indexes_like_the_filtered_list(items: set[str], data: st.DataObject) -> None:
    ordered = tuple(sorted(items))
    without = data.draw(st.sets(st.text("abcdefg", max_size=3), max_size=12))
    view = _SortedWithout(ordered, without)
    expected = sorted(items - without)
    assert len(view) == len(expected) and list(view) == expected
    with pytest.raises(IndexError):
        view[len(expected)]


def test_sampling_into_the_workspace_and_versioned_edits(graph_ws: Workspace) -> None:
    ws = graph_ws
    with ws.connect() as con:
        first = sample_paths(con, n=4, steps=2, ops=["merge", "insert", "split"], seed=5)
        ids = first.ids
        again = sample_paths(con, n=4, steps=2, ops=["merge", "insert", "split"], seed=5)
        assert again.ids == [] and again.duplicates == 8  # same seed, same paths: none stored twice
        assert first.duplicates == 0 and first.split_copies == 4  # each of the 4 asked for brought its split copy
        assert len(ids) == 8 and all(get_path(con, i)["fsp"].provenance[0]["op"] == "sample" for i in ids)
        child = get_path(con, ids[1])
        assert child["parent_id"] == ids[0] and child["ops"][-1] == "split"
        path = get_path(con, ids[0])
        edited = path["fsp"].model_copy(deep=True)
        edited.turns.reverse()
        assert save_edit(con, ids[0], edited, version=1, note="reordered") == 2
        with pytest.raises(EditConflict):
            save_edit(con, ids[0], edited, version=1)
        with pytest.raises(ValueError, match="unknown operation"):
            sample_paths(con, n=1, steps=1, ops=["teleport"])


def test_no_graph_yet_is_a_clear_error(tmp_path: Path) -> None:
    ws = tmp_path / "w.duckdb"
    assert run_cli("init", "--demo", workspace=ws).returncode == 0
    result = run_cli("paths", "sample", "--n", "2", workspace=ws)
    assert result.returncode == 1 and "graph build" in result.stderr
    assert run_cli("graph", "build", workspace=ws).returncode == 0
    result = run_cli(
        "paths",
        "sample",
        "--n",
        "3",
        "--steps",
        "2",
        "--ops",
        "merge,insert,split",
        "--merge-p",
        "0.3",
        "--seed",
        "1",
        workspace=ws,
    )
    assert result.returncode == 0, result.stderr
    ids = json.loads(result.stdout)["paths"]
    assert len(ids) == 6
    shown = json.loads(run_cli("paths", "show", str(ids[0]), workspace=ws).stdout)
    assert shown["fsp"]["turns"] and shown["fsp"]["provenance"][0]["op"] == "sample"
    assert json.loads(result.stdout)["duplicates_skipped"] == 0 and "skipped" not in result.stderr
    assert json.loads(result.stdout)["split_copies"] == 3  # why --n 3 stored 6 paths, said in words too
    assert "stored 6 paths: 3 sampled and 3 split copies of them" in result.stderr
    again = run_cli("paths", "sample", "--n", "3", "--steps", "2", "--seed", "1", workspace=ws)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {"paths": [], "split_copies": 0, "duplicates_skipped": 6}  # nothing twice
    assert "skipped 6 duplicates" in again.stderr
    dot = run_cli("paths", "show", str(ids[0]), "--dot", workspace=ws)
    assert dot.returncode == 0 and dot.stdout.startswith("digraph fsp {")
    from fcstudio.paths.diagram import fsp_dot

    assert dot.stdout == fsp_dot(FSP.model_validate(shown["fsp"]))
    assert shown["wiring_problems"] == []  # what the sampler wires fits


def test_bad_start_tool() -> None:
    with pytest.raises(PathError, match="no node"):
        random_walk_path(WalkIndex.from_graph(nx.MultiDiGraph(), {}), steps=2, rng=random.Random(0))
    g = nx.MultiDiGraph()
    g.add_node("a", name="a", label="x")
    index = WalkIndex.from_graph(g, {})
    with pytest.raises(PathError, match="unknown start tool zz"):
        random_walk_path(index, steps=2, rng=random.Random(0), start="zz")
    with pytest.raises(PathError, match="no node"):
        random_walk_path(index, steps=2, rng=random.Random(0), label="nolabel")
    assert random_walk_path(index, steps=2, rng=random.Random(0)).provenance[0]["walk"] == ["a"]


def test_hand_edits_keep_references_consistent() -> None:
    a = Call(tool_id="a", name="a")
    b = Call(tool_id="b", name="b", args={"x": ArgSource(kind="output", turn=0, call=0, field="out")})
    c = Call(tool_id="c", name="c", args={"y": ArgSource(kind="output", turn=1, call=0, field="v")})
    fsp = FSP(turns=[Turn(calls=[a]), Turn(calls=[b]), Turn(calls=[c])])
    dropped = remove_call(fsp, 0, 0)
    assert [t.calls[0].name for t in dropped.turns] == ["b", "c"]
    assert dropped.turns[0].calls[0].args["x"].kind == "user"  # its producer is gone
    assert dropped.turns[1].calls[0].args["y"].turn == 0  # renumbered
    assert dropped.provenance[-1]["action"] == "remove_call" and fsp.turns[0].calls[0].name == "a"
    with pytest.raises(PathError, match="not earlier"):
        move_turn(fsp, 2, -2)  # c would come before the call that feeds it
    swapped = move_turn(remove_call(fsp, 1, 0), 1, -1)  # after removing b, c no longer depends on anything
    assert [t.calls[0].name for t in swapped.turns] == ["c", "a"]
    fixed = set_source(fsp, 2, 0, "y", ArgSource(kind="withheld"))
    assert fixed.turns[2].kind == "miss_param" and validate(fixed) == []
    with pytest.raises(PathError):
        set_source(fsp, 0, 0, "z", ArgSource(kind="output", turn=2, call=0))


def test_add_call_appends_with_user_arguments() -> None:
    fsp = FSP(turns=[Turn(calls=[Call(tool_id="a", name="a")])])
    grown = add_call(fsp, 0, "b", "b", ["city"])
    assert [c.name for c in grown.turns[0].calls] == ["a", "b"] and grown.turns[0].calls[1].args["city"].kind == "user"
    longer = add_call(fsp, 1, "c", "c", [])
    assert len(longer.turns) == 2 and longer.provenance[-1] == {
        "op": "edit",
        "action": "add_call",
        "turn": 1,
        "tool": "c",
    }
    with pytest.raises(PathError, match="does not exist"):
        add_call(fsp, 5, "c", "c", [])


# -- the walk index: the same paths as the graph scan it replaced, and a cache key that follows the graph ---


def _fixture_script():  # type: ignore[no-untyped-def]
    """tools/make_paths_fixture.py, which recorded tests/fixtures/paths_expected.json with the old sampler."""
    spec = importlib.util.spec_from_file_location("make_paths_fixture", ROOT / "tools" / "make_paths_fixture.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("graph", ["generated", "demo"])
def test_sampled_paths_are_the_ones_the_graph_scan_sampled(graph: str, tmp_path: Path) -> None:
    """Every recorded run (all operations, a label, a start tool, subsets; later runs meeting earlier runs'
    paths) gives the recorded paths, path for path."""
    script = _fixture_script()
    expected = json.loads((FIXTURES / "paths_expected.json").read_text())["graphs"][graph]
    with Workspace(tmp_path / "ws.duckdb").connect() as con:
        script.GRAPHS[graph](con)
        assert script.fingerprint(con) == expected["fingerprint"], (
            f"the {graph} graph differs from the one the fixture was recorded on: re-record it with "
            "python tools/make_paths_fixture.py only for a deliberate change (see its docstring)"
        )
        assert len(expected["runs"]) == len(script.RUNS[graph])
        for spec, recorded in zip(script.RUNS[graph], expected["runs"], strict=True):
            assert recorded["spec"] == spec
            got = script.sample_run(con, spec)
            assert got[: len(recorded["first"])] == recorded["first"], spec
            assert [script.digest(r) for r in got] == recorded["paths"], spec


@pytest.mark.parametrize("graph", ["generated", "demo"])
def test_index_read_by_sql_equals_the_index_of_the_networkx_graph(graph: str, tmp_path: Path) -> None:
    with Workspace(tmp_path / "ws.duckdb").connect() as con:
        _fixture_script().GRAPHS[graph](con)
        from_sql = load_walk_index(con)
        from_graph = WalkIndex.from_graph(load_graph(con), required_params(con), tool_shapes(con))
        dropped = run(
            con, "SELECT src, dst FROM graph_edges WHERE kind = 'dependency' AND judge = 'drop' AND src <> dst"
        )
        kept = set(
            run(con, "SELECT src, dst FROM graph_edges WHERE kind = 'dependency' AND judge IS DISTINCT FROM 'drop'")
        )
        best = run(
            con,
            """SELECT src, dst, evidence FROM (
                   SELECT *, row_number() OVER (PARTITION BY src, dst ORDER BY score DESC, rowid) AS r
                   FROM graph_edges WHERE kind = 'dependency' AND src <> dst AND judge IS DISTINCT FROM 'drop'
               ) WHERE r = 1""",
        )
        shapes = tool_shapes(con)
    assert from_sql == from_graph and from_sql.key == graph_cache_key_of(tmp_path / "ws.duckdb")

    def fits(src: str, dst: str, evidence: str) -> bool:  # an edge whose evidence names no link stays, unlinked
        items = [(i["from"].removeprefix("returns."), i["to"].removeprefix("param ")) for i in json.loads(evidence)]
        outs, params = shapes.get(src, ({}, {}))[1], shapes.get(dst, ({}, {}))[0]
        return not items or any(mismatch(f, outs.get(f), p, params.get(p)) is None for f, p in items)

    steps = {(s, d) for s in from_sql.successors for d in from_sql.successors_of(s)}
    refused = {(s, d) for s, d, evidence in best if not fits(s, d, evidence)}
    assert steps == {(s, d) for s, d in kept if s != d} - refused
    assert refused if graph == "generated" else len(refused) >= 1  # book_hotel -> reserve_table on the demo
    if graph == "generated":  # a pair whose only edges were dropped is no step of a walk
        gone = [(s, d) for s, d in dropped if (s, d) not in kept]
        assert gone and all(d not in from_sql.successors_of(s) for s, d in gone)
        assert from_sql.start_candidates("sink") == tuple(
            sorted(n for n, lab in from_sql.labels.items() if lab == "sink")
        )
        assert not any(from_sql.successors_of(n) for n in from_sql.start_candidates("sink"))
        assert from_sql.required_of("g036") == () and "g036" in from_sql  # a node without a tool row


@pytest.fixture(scope="module")
def generated_index(tmp_path_factory: pytest.TempPathFactory) -> WalkIndex:
    with Workspace(tmp_path_factory.mktemp("generated") / "ws.duckdb").connect() as con:
        _fixture_script().GRAPHS["generated"](con)
        return load_walk_index(con)


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 10_000), steps=st.integers(0, 6), data=st.data())
def test_insert_choices_are_counted_and_indexed_like_the_full_list(
    generated_index: WalkIndex, seed: int, steps: int, data: st.DataObject
) -> None:
    """_FeedOptions (no list built) holds exactly the (call, producer) choices the old scan listed, in order."""
    fsp = random_walk_path(generated_index, steps=steps, rng=random.Random(seed))
    for _, _, call in fsp.calls():  # some arguments already sourced otherwise, some not declared at all
        for p in [*call.args, "p0", "p1", "p2", "p3", "q"]:
            kind = data.draw(st.sampled_from(["user", "withheld", "output", None]))
            if kind is None:
                call.args.pop(p, None)
            else:
                call.args[p] = ArgSource(kind=kind)
    listed = [
        (t, c, producer, link)
        for t, c, call in fsp.calls()
        for producer, link in generated_index.producers_of(call.tool_id)
        if call.args.get(link[1], ArgSource()).kind == "user"
    ]
    options = _FeedOptions(fsp, generated_index)
    assert len(options) == len(listed) and list(options) == listed


def graph_cache_key_of(path: Path):  # type: ignore[no-untyped-def]
    with Workspace(path).connect() as con:
        return graph_cache_key(con)


def _judge(con, drop_target: str, limit: int | None = None) -> int:  # type: ignore[no-untyped-def]
    """Verdicts on unjudged dependency edges, stored as the LLM judge (``judge_edges``) stores each one:
    ``drop`` for edges into ``drop_target``, ``keep`` for the rest; returns how many were dropped.

    The judge's API is left out on purpose (it moves to ``graph_judge`` with a job runner); what the
    cache key and the index read is this column."""
    todo = run(
        con,
        """SELECT e.rowid, d.name = ? FROM graph_edges e JOIN graph_nodes d ON d.tool_id = e.dst
           WHERE e.judge IS NULL AND e.kind = 'dependency' ORDER BY e.score DESC, e.src, e.dst"""
        + (f" LIMIT {int(limit)}" if limit is not None else ""),
        [drop_target],
    )
    for rowid, drop in todo:
        verdict = "drop" if drop else "keep"
        run(con, "UPDATE graph_edges SET judge = ?, judge_reason = 'scripted' WHERE rowid = ?", [verdict, rowid])
    return sum(bool(drop) for _, drop in todo)


def test_cache_key_changes_after_a_rebuild_and_after_a_judge_drop(tmp_path: Path) -> None:
    ws = demo_workspace(tmp_path / "ws.duckdb")
    with ws.connect() as con:
        empty = graph_cache_key(con)
        assert current_build_id(con) is None and empty.build_id is None and empty.nodes == 0
        build_graph(con, TfidfEmbedder())
        first = graph_cache_key(con)
        assert graph_cache_key(con) == first  # stable while nothing changes
        assert first.build_id == current_build_id(con) == 1 and first != empty
        before = load_walk_index(con)
        assert before.key == first
        build_graph(con, TfidfEmbedder())
        second = graph_cache_key(con)
        assert second.build_id == current_build_id(con) == 2 and second != first
        assert load_walk_index(con) == before  # same graph, new build: a new key all the same

    with ws.connect() as con:
        target_name = "delete_calendar_event"
        edges_in = run(
            con,
            """SELECT count(*) FROM graph_edges e JOIN graph_nodes d ON d.tool_id = e.dst
               WHERE e.kind = 'dependency' AND d.name = ?""",
            [target_name],
        )[0][0]
        assert _judge(con, "no such tool", limit=3) == 0
        assert graph_cache_key(con) == second  # "keep" verdicts change nothing a walk uses
        dropped = _judge(con, target_name)
        assert dropped == edges_in >= 1
        judged = graph_cache_key(con)
        after = load_walk_index(con)
    assert judged != second and judged.build_id == second.build_id and judged.dropped == dropped
    assert after.key == judged and after != before
    target = next(n for n, name in after.names.items() if name == "delete_calendar_event")
    assert any(target in before.successors_of(n) for n in before.nodes)
    assert not any(target in after.successors_of(n) for n in after.nodes)
    assert not any(p == target for n in after.nodes for p, _ in after.producers_of(n))
    # restoring one dropped edge and dropping another keeps the count but still changes the key
    with ws.connect() as con:
        restored = run(con, "SELECT rowid FROM graph_edges WHERE judge = 'drop' LIMIT 1")[0][0]
        other = run(con, "SELECT rowid FROM graph_edges WHERE judge IS DISTINCT FROM 'drop' LIMIT 1")[0][0]
        run(con, "UPDATE graph_edges SET judge = 'keep' WHERE rowid = ?", [restored])
        run(con, "UPDATE graph_edges SET judge = 'drop' WHERE rowid = ?", [other])
        swapped = graph_cache_key(con)
    assert swapped.dropped == judged.dropped and swapped != judged


def test_sampling_loop_is_the_stored_one(graph_env, graph_ws: Workspace) -> None:  # type: ignore[no-untyped-def]
    """sample_fsps (what the benchmark times) yields what sample_paths stores, across its write batches, less
    the paths whose canonical form came earlier (a skipped parent's split copy hangs under the stored one)."""
    _, _, index = graph_env
    ws = graph_ws
    ops = ["merge", "insert", "split", "long_context"]
    n = SAVE_BATCH // 2 + 50  # with split copies, more than one batch
    loop = list(sample_fsps(index, n=n, steps=3, ops=ops, seed=4, distractors=1))
    with ws.connect() as con:
        sampled = sample_paths(con, n=n, steps=3, ops=ops, seed=4, distractors=1, index=index)
        ids = sampled.ids
        stored = rows(
            con, "SELECT id, fsp, parent_id, seed, ops, canonical FROM fsp_paths WHERE id >= ? ORDER BY id", [ids[0]]
        )
        versions = run(con, "SELECT count(*) FROM fsp_versions WHERE path_id >= ? AND note = 'sampled'", [ids[0]])
    first: dict[str, int] = {}  # canonical key -> position in ``expected`` of the stored path
    expected: list[tuple[int, FSP, int | None]] = []  # (seed, path, position of its parent)
    for i, (seed, fsp, copy_) in enumerate(loop):
        key = canonical_key(fsp)
        if key not in first:
            first[key] = len(expected)
            expected.append((seed, fsp, None))
        parent = first[key]
        if canonical_key(copy_) not in first:
            first[canonical_key(copy_)] = len(expected)
            expected.append((seed, copy_, parent))
        assert seed == 4 * 1_000_003 + i
    assert sampled.duplicates == 2 * n - len(expected) > 0  # this run does meet itself
    assert len(ids) == len(stored) == len(expected) and ids == [r["id"] for r in stored]
    assert versions[0][0] == len(expected)
    for row, (seed, fsp, parent) in zip(stored, expected, strict=True):
        assert FSP.model_validate_json(row["fsp"]) == fsp and row["seed"] == seed
        assert row["parent_id"] == (None if parent is None else ids[parent])
        assert row["ops"] == [p["op"] for p in fsp.provenance] and row["canonical"] == canonical_key(fsp)
    assert len({r["canonical"] for r in stored}) == len(stored)


def test_paths_page_reads_the_index_again_after_a_judge_drop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page keeps its index across reruns, and a verdict dropping edges reaches its operations."""
    from streamlit.testing.v1 import AppTest

    from conftest import no_errors
    from fcstudio.paths.store import save_path

    ws = demo_workspace(tmp_path / "ws.duckdb")
    with ws.connect() as con:
        build_graph(con, TfidfEmbedder())
        index = load_walk_index(con)
        start = next(n for n in index.nodes if index.name(n) == "check_calendar")
        fsp = random_walk_path(index, steps=1, rng=random.Random(0), start=start)
        path_id = save_path(con, fsp, seed=None)
    grown = insert(fsp, index, random.Random(len(fsp.provenance)), nested=True)  # what the page's button does
    assert grown.provenance[-1]["added"] is not None
    monkeypatch.setenv("FCSTUDIO_WORKSPACE", str(ws.path))

    def provenance(at: AppTest) -> list[dict]:
        return json.loads(at.json[0].value)

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90).run()
    at.switch_page("pages/paths.py").run()
    no_errors(at)
    at.button(key=f"op_ins_n_{path_id}").click().run()
    no_errors(at)
    assert provenance(at)[-1] == grown.provenance[-1]
    with ws.connect() as con:  # every dependency edge dropped, as the judge stores a drop
        run(con, "UPDATE graph_edges SET judge = 'drop', judge_reason = 'scripted' WHERE kind = 'dependency'")
    at.button(key=f"discard_{path_id}").click().run()
    at.button(key=f"op_ins_n_{path_id}").click().run()
    no_errors(at)
    assert provenance(at)[-1] == {
        "op": "insert",
        "nested": True,
        "added": None,
        "reason": "no producer feeds any call",
    }


# -- what the sampler may wire, the canonical form, the diagram ----------------------------------------------


@pytest.fixture(scope="module")
def demo_shapes(graph_env):  # type: ignore[no-untyped-def]
    """The demo tools' parameter and return-field schemas, by tool name."""
    ws, _, index = graph_env
    with ws.connect() as con:
        shapes = tool_shapes(con)
    return {index.name(tool_id): shape for tool_id, shape in shapes.items()}


def _fits(shapes, producer: str, field: str, consumer: str, param: str) -> str | None:  # type: ignore[no-untyped-def]
    return mismatch(field, shapes[producer][1].get(field), param, shapes[consumer][0].get(param))


def test_an_output_fits_an_argument_only_by_type_and_meaning(demo_shapes) -> None:  # type: ignore[no-untyped-def]
    shapes = demo_shapes
    # the issue's case: a hotel reservation code is no restaurant reservation time
    assert "date or time" in str(_fits(shapes, "book_hotel", "reservation_id", "reserve_table", "time"))
    assert _fits(shapes, "get_local_time", "local_time", "reserve_table", "time") is None
    assert _fits(shapes, "find_restaurants", "restaurants[].restaurant_id", "reserve_table", "restaurant_id") is None
    assert "identifier" in str(_fits(shapes, "find_hotels", "hotels[].name", "book_hotel", "hotel_id"))
    assert "date or time" in str(_fits(shapes, "search_flights", "flights[].flight_number", "book_flight", "date"))
    assert "different things" in str(
        _fits(shapes, "get_train_schedule", "trains[].train_number", "book_flight", "flight_number")
    )
    # an airport code fills a destination described as one; a date fills a check-out date
    assert (
        _fits(shapes, "get_airport_symbol_by_city", "airports[].airport_symbol", "search_flights", "destination")
        is None
    )
    assert _fits(shapes, "get_public_holidays", "holidays[].date", "book_hotel", "check_out") is None
    # types: a fare is no party size, a seat count may fill a price limit (an integer is a number)
    assert "number cannot fill a integer" in str(
        _fits(shapes, "search_flights", "flights[].price", "reserve_table", "party_size")
    )
    assert _fits(shapes, "search_flights", "flights[].seats_left", "find_hotels", "max_price") is None
    assert mismatch("x", {"type": "string", "format": "email"}, "y", {"type": "string", "format": "uri"})
    assert mismatch("cabin", {"enum": ["economy", "first", "deck"]}, "class", {"enum": ["economy", "first"]})
    assert mismatch("cabin", {"enum": ["economy"]}, "class", {"enum": ["economy", "first"]}) is None


def _wirings(fsp: FSP) -> set[tuple[str, str, str, str]]:
    return {
        (fsp.turns[s.turn].calls[s.call].name, s.field or "", call.name, arg)
        for _, _, call in fsp.calls()
        for arg, s in call.args.items()
        if s.kind == "output" and s.turn is not None and s.call is not None
    }


def test_the_sampler_no_longer_wires_a_reservation_id_into_a_time(graph_env, demo_shapes) -> None:  # type: ignore[no-untyped-def]
    """The graph keeps its reservation_id -> time edge (only evidence: a shared word); walks and inserts never use it,
    while the good wirings into reserve_table still come out of sampling."""
    _, g, index = graph_env
    ids = {index.name(n): n for n in index.nodes}
    hotel, table = ids["book_hotel"], ids["reserve_table"]
    evidence = [e for d in g.get_edge_data(hotel, table).values() if d["kind"] == "dependency" for e in d["evidence"]]
    assert [(e["from"], e["to"]) for e in evidence] == [("returns.reservation_id", "param time")]
    assert table not in index.successors_of(hotel) and index.link(hotel, table) is None
    assert hotel not in {p for p, _ in index.producers_of(table)}
    assert index.link(ids["get_local_time"], table) == ("local_time", "time")
    assert index.link(ids["find_restaurants"], table) == ("restaurants[].restaurant_id", "restaurant_id")
    seen: set[tuple[str, str, str, str]] = set()
    for _, fsp, copy_ in sample_fsps(index, n=600, steps=4, ops=["merge", "insert", "split"], seed=3):
        seen |= _wirings(fsp) | _wirings(copy_)
    assert ("book_hotel", "reservation_id", "reserve_table", "time") not in seen
    assert ("get_local_time", "local_time", "reserve_table", "time") in seen
    assert ("find_restaurants", "restaurants[].restaurant_id", "reserve_table", "restaurant_id") in seen
    assert all(_fits(demo_shapes, *wiring) is None for wiring in seen), sorted(
        w for w in seen if _fits(demo_shapes, *w)
    )
    # insert offers reserve_table only producers that fit: from a lone reserve_table call, never book_hotel
    lone = FSP(turns=[Turn(calls=[Call(tool_id=table, name="reserve_table", args={"time": ArgSource()})])])
    added = {insert(lone, index, random.Random(k), nested=True).provenance[-1]["added"] for k in range(60)}
    assert hotel not in added and ids["get_local_time"] in added


def test_wirings_that_do_not_fit_are_named_for_hand_edits_and_old_paths(graph_env) -> None:  # type: ignore[no-untyped-def]
    ws, _, index = graph_env
    with ws.connect() as con:
        shapes = tool_shapes(con)
    ids = {index.name(n): n for n in index.nodes}

    def path(producer: str, field: str, arg: str) -> FSP:
        fed = {"time": ArgSource(), "restaurant_id": ArgSource(), "party_size": ArgSource()}
        fed[arg] = ArgSource(kind="output", turn=0, call=0, field=field)
        first = Call(tool_id=ids[producer], name=producer)
        return FSP(
            turns=[
                Turn(calls=[first]),
                Turn(calls=[Call(tool_id=ids["reserve_table"], name="reserve_table", args=fed)]),
            ]
        )

    (bad,) = wiring_problems(path("book_hotel", "reservation_id", "time"), shapes)
    assert bad.startswith("turn 1 call 0 (reserve_table): time ← turn 0.0 book_hotel.reservation_id: ")
    assert "date or time" in bad
    assert wiring_problems(path("get_local_time", "local_time", "time"), shapes) == []
    assert wiring_problems(path("find_restaurants", "restaurants[].restaurant_id", "restaurant_id"), shapes) == []
    (missing,) = wiring_problems(path("get_local_time", "party_size", "party_size"), shapes)
    assert "get_local_time returns no field party_size" in missing


def test_the_canonical_form_is_the_path_not_how_it_was_made() -> None:
    a = Call(tool_id="t1", name="first", args={"x": ArgSource(), "y": ArgSource()})
    b = Call(tool_id="t2", name="second", args={"z": ArgSource(kind="output", turn=0, call=0, field="id")})
    path = FSP(turns=[Turn(calls=[a]), Turn(calls=[b])], distractor_tools=["d2", "d1"])
    same = path.model_copy(deep=True)
    same.provenance.append({"op": "edit"})
    same.turns[0].note = "a note"
    same.turns[0].calls[0].name = "renamed"
    same.turns[0].calls[0].args = {"y": ArgSource(), "x": ArgSource()}  # argument order is no difference
    same.distractor_tools = ["d1", "d2"]
    assert canonical_key(same) == canonical_key(path)
    different = [path.model_copy(deep=True) for _ in range(4)]
    different[0].turns[1].calls[0].args["z"] = ArgSource()  # the user gives it instead
    different[1].turns = [Turn(calls=[a, b.model_copy(update={"args": {"z": ArgSource()}})])]
    different[2].removed_tools = ["t2"]
    different[3].turns[0].kind = "miss_param"
    keys = {canonical_key(p) for p in [path, *different]}
    assert len(keys) == 5


def test_migration_11_gives_stored_paths_their_canonical_form(tmp_path: Path) -> None:
    """A workspace from before migration 11: its paths get their key (a path whose JSON no longer parses: NULL),
    and sampling then skips what they already hold."""
    import duckdb

    from fcstudio import store

    before = max(v for v, _, _ in store.MIGRATIONS if v < 11)
    path = tmp_path / "old.duckdb"
    demo_workspace(path)  # a current workspace, only for its graph and tools
    with Workspace(path).connect() as con:
        build_graph(con, TfidfEmbedder())
        index = load_walk_index(con)
    drawn = [fsp for _, fsp, _ in sample_fsps(index, n=3, steps=2, ops=["merge"], seed=8)]
    old = tmp_path / "v10.duckdb"
    con = duckdb.connect(str(old))
    store.migrate(con, target=before)
    assert "canonical" not in {r[0] for r in con.execute("DESCRIBE fsp_paths").fetchall()}
    for i, fsp in enumerate(drawn, start=1):
        con.execute(
            "INSERT INTO fsp_paths (id, fsp, ops, n_turns, n_calls) VALUES (?, ?, ['sample'], 1, 1)",
            [i, fsp.model_dump_json()],
        )
    con.execute("INSERT INTO fsp_paths (id, fsp, ops, n_turns, n_calls) VALUES (9, '{\"turns\": 1}', [], 0, 0)")
    store.migrate(con)
    found = dict(con.execute("SELECT id, canonical FROM fsp_paths").fetchall())
    con.close()
    assert found == {1: canonical_key(drawn[0]), 2: canonical_key(drawn[1]), 3: canonical_key(drawn[2]), 9: None}
    with Workspace(old).connect() as con:  # what sampling looks up finds them by key
        keys = [k for k in found.values() if k is not None]
        assert stored_keys(con, [*keys, "no such key"]) == {k: i for i, k in found.items() if k is not None}


def test_the_diagram_draws_lanes_boxes_and_the_arrows_of_the_data_flow() -> None:
    from fcstudio.paths.diagram import flows, fsp_dot

    find = Call(tool_id="f", name="find_hotels", args={"city": ArgSource()})
    book = Call(
        tool_id="b",
        name="book_hotel",
        args={
            "hotel_id": ArgSource(kind="output", turn=0, call=0, field="hotels[].hotel_id"),
            "guest_name": ArgSource(kind="withheld"),
        },
    )
    pay = Call(tool_id="p", name="pay<&>", args={"amount": ArgSource(kind="output", turn=1, call=0, field="total")})
    fsp = FSP(
        turns=[Turn(calls=[find]), Turn(calls=[book], kind="miss_param"), Turn(calls=[pay], kind="miss_func")],
        removed_tools=["p"],
        distractor_tools=["x", "y"],
    )
    assert flows(fsp) == [((0, 0), "hotels[].hotel_id", (1, 0), "hotel_id"), ((1, 0), "total", (2, 0), "amount")]
    dot = fsp_dot(fsp)
    assert dot == fsp_dot(fsp.model_copy(deep=True))  # deterministic
    for t in range(3):
        assert f"subgraph cluster_turn_{t} {{" in dot and f'id="fsp-call-{t}-0"' in dot
    assert 'call_0_0:o0:e -> call_1_0:i0:w [id="fsp-flow-0-0-1-0-hotel_id"' in dot
    assert 'call_1_0:o0:e -> call_2_0:i0:w [id="fsp-flow-1-0-2-0-amount"' in dot
    assert "Turn 1 · split: missing parameter" in dot and "WITHHELD: ask the user" in dot
    assert "Turn 2 · split: absent function" in dot and "not offered" in dot and 'STYLE="dashed"' in dot
    assert "pay&lt;&amp;&gt;" in dot and "pay<&>" not in dot.split("tooltip")[0]  # names are escaped in labels
    assert "2 distracting tools offered" in dot
    # an argument whose producer is gone is marked, and no arrow is drawn for it
    broken = fsp.model_copy(deep=True)
    broken.turns[2].calls[0].args["amount"] = ArgSource(kind="output", turn=5, call=0, field="total")
    assert len(flows(broken)) == 1 and "(missing)" in fsp_dot(broken)
