"""Path sampling at two catalogue sizes: per-path cost must not grow with the catalogue.

Catalogues of 1,000 and 16,000 generated tools (``benchmarks/graph_build.make_catalogue``: parameters and,
for most tools, return schemas), imported into fresh workspaces, the graph built by ``build_graph`` with
the TF-IDF embedder exactly as ``fcstudio graph build`` does (at 16k: ~110k dependency edges, hubs fed by
~2,000 producers). On each graph, in the same run:

- the walk index is read (``load_walk_index``, best of 3), then ``path_store.sample_fsps`` samples paths with
  merge, insert and split (what ``paths sample`` runs, without the database writes): both sizes timed in
  alternation once both graphs exist, best of 3 rounds each;
- the baseline is a faithful copy of the sampler before the index (kept below): start candidates found by
  calling ``dependency_successors`` on every node for each path, producers and links read from the
  networkx graph of ``load_graph``; same seeds, and its paths are checked identical to the new ones;
- ``sample_paths`` end to end (the index read once, every path stored) for the wall time a user sees.

    python benchmarks/paths_scale.py                   # 1k and 16k tools (the 16k graph build takes ~1.5 min)

Last line: ``paths_scale tools_small=... tools_large=... per_path_ms_small=... per_path_ms_large=...
baseline_per_path_ms_large=... speedup_large=... index_build_s_large=... ratio=... seconds=... peak_mb=...``
where ``ratio`` is per-path time at the large size over the small one, new code (must be <= 1.5).
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import networkx as nx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.graph_build import make_catalogue
from fcstudio.catalog.ingest import import_files
from fcstudio.graph.build import build_graph
from fcstudio.graph.embed import TfidfEmbedder
from fcstudio.graph.read import load_graph
from fcstudio.paths.fsp import FSP, ArgSource, Call, PathError, Turn, _checked
from fcstudio.paths.index import Shapes, WalkIndex, _choose, _evidence_of, load_walk_index, tool_shapes
from fcstudio.paths.operations import _renumber, merge, split
from fcstudio.paths.store import required_params, sample_fsps, sample_paths
from fcstudio.store import Workspace

OPS = ["merge", "insert", "split"]
STEPS = 3


# -- the baseline: today's sampler before the walk index (commit 0227e44), kept verbatim --------------------


def old_call(g: nx.MultiDiGraph, tool_id: str, required: dict[str, list[str]]) -> Call:
    return Call(
        tool_id=tool_id,
        name=g.nodes[tool_id].get("name", tool_id),
        args={p: ArgSource() for p in required.get(tool_id, [])},
    )


SHAPES: Shapes = {}  # the tools' schemas, for the fit check both samplers make (issue 16); set by measure()


def old_link(g: nx.MultiDiGraph, src: str, dst: str) -> tuple[str, str] | str | None:
    best = None
    for data in (g.get_edge_data(src, dst) or {}).values():
        if data.get("kind") == "dependency" and (best is None or data["score"] > best["score"]):
            best = data
    if best is None:
        return None
    return _choose(src, dst, _evidence_of(best["evidence"]), SHAPES)  # since issue 16: the best item that fits


def old_feeding(g: nx.MultiDiGraph, src: str, dst: str) -> tuple[str, str] | None:
    link = old_link(g, src, dst)
    return None if isinstance(link, str) else link


def old_dependency_successors(g: nx.MultiDiGraph, node: str) -> list[str]:
    return sorted(
        {
            v
            for _, v, d in g.out_edges(node, data=True)
            if d.get("kind") == "dependency" and v != node and not isinstance(old_link(g, node, v), str)
        }
    )


def old_random_walk_path(
    g: nx.MultiDiGraph,
    required: dict[str, list[str]],
    *,
    steps: int,
    rng: random.Random,
    start: str | None = None,
    label: str | None = None,
) -> FSP:
    nodes = [n for n in g.nodes if (label is None or g.nodes[n].get("label") == label)]
    candidates = [n for n in nodes if old_dependency_successors(g, n)] or nodes
    if not candidates:
        raise PathError("the graph has no node to start from")
    node = start if start is not None else rng.choice(sorted(candidates))
    if node not in g:
        raise PathError(f"unknown start tool {node}")
    walk = [node]
    for _ in range(steps):
        nxt = old_dependency_successors(g, walk[-1])
        if not nxt:
            break
        walk.append(rng.choice(nxt))
    fsp = FSP()
    for i, tool in enumerate(walk):
        call = old_call(g, tool, required)
        if i:
            link = old_feeding(g, walk[i - 1], tool)
            if link:
                field, param = link
                call.args[param] = ArgSource(kind="output", turn=i - 1, call=0, field=field)
        fsp.turns.append(Turn(calls=[call]))
    return _checked(fsp, {"op": "sample", "start": node, "steps": steps, "walk": walk, "label": label})


def old_insert(
    fsp: FSP, g: nx.MultiDiGraph, required: dict[str, list[str]], rng: random.Random, *, nested: bool = True
) -> FSP:
    out = copy.deepcopy(fsp)
    options = []
    for t, c, call in out.calls():
        for producer in sorted({u for u, _, d in g.in_edges(call.tool_id, data=True) if d.get("kind") == "dependency"}):
            link = old_feeding(g, producer, call.tool_id)
            if producer != call.tool_id and link and call.args.get(link[1], ArgSource()).kind == "user":
                options.append((t, c, producer, link))
    if not options:
        return _checked(out, {"op": "insert", "nested": nested, "added": None, "reason": "no producer feeds any call"})
    t, c, producer, (field, param) = rng.choice(options)
    new_call = old_call(g, producer, required)
    if nested:
        mapping = {(t, k): (t, k + 1) for k in range(c, len(out.turns[t].calls))}
        _renumber(out, mapping)
        out.turns[t].calls.insert(c, new_call)
        out.turns[t].calls[c + 1].args[param] = ArgSource(kind="output", turn=t, call=c, field=field)
        where = {"turn": t, "call": c}
    else:
        target = rng.randint(0, t)
        mapping = {
            (tt, k): (tt + 1, k) for tt in range(target, len(out.turns)) for k in range(len(out.turns[tt].calls))
        }
        _renumber(out, mapping)
        out.turns.insert(target, Turn(calls=[new_call], note="inserted producer (long dependency)"))
        out.turns[t + 1].calls[c].args[param] = ArgSource(kind="output", turn=target, call=0, field=field)
        where = {"turn": target, "call": 0}
    return _checked(
        out, {"op": "insert", "nested": nested, "added": producer, "feeds": {"param": param, "field": field}, **where}
    )


def old_sample(g: nx.MultiDiGraph, required: dict[str, list[str]], n: int, seed: int) -> list[tuple[FSP, FSP]]:
    """The old sample_paths loop for merge, insert, split (storage left out, as for the new one)."""
    out = []
    for i in range(n):
        rng = random.Random(seed * 1_000_003 + i)
        fsp = old_random_walk_path(g, required, steps=STEPS, rng=rng)
        fsp = old_insert(fsp, g, required, rng, nested=rng.random() < 0.5)
        fsp = merge(fsp, rng, p=0.3)
        out.append((fsp, split(fsp, rng, kind=rng.choice(["miss_param", "miss_func"]))))
    return out


# -- the measurement ------------------------------------------------------------------------------------------


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def best_of(repeats: int, fn: Any) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def new_sample(index: WalkIndex, n: int) -> list[tuple[FSP, FSP | None]]:
    return [(f, c) for _, f, c in sample_fsps(index, n=n, steps=STEPS, ops=OPS, seed=0)]


def measure(tools: int, folder: Path, *, baseline_paths: int, stored_paths: int) -> tuple[dict[str, Any], WalkIndex]:
    catalogue = folder / f"catalogue_{tools}.json"
    catalogue.write_text(json.dumps(make_catalogue(tools)))
    out: dict[str, Any] = {"tools": tools}
    with Workspace(folder / f"ws_{tools}.duckdb").connect() as con:
        import_files(con, "openai-tools", [catalogue])
        t0 = time.perf_counter()
        summary = build_graph(con, TfidfEmbedder())
        out["graph_build_s"] = time.perf_counter() - t0
        out["dependency_edges"] = summary["by_kind"]["dependency"]
        out["index_build_s"], index = best_of(3, lambda: load_walk_index(con))
        out["max_producers"] = max((len(p) for p in index.producers.values()), default=0)

        sampled = new_sample(index, baseline_paths)

        t0 = time.perf_counter()
        g, required = load_graph(con), required_params(con)
        SHAPES.clear()
        SHAPES.update(tool_shapes(con))
        out["baseline_setup_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        old = old_sample(g, required, baseline_paths, seed=0)
        out["baseline_per_path_ms"] = 1000 * (time.perf_counter() - t0) / baseline_paths
        out["identical"] = old == sampled[:baseline_paths]
        out["compared"] = baseline_paths

        t0 = time.perf_counter()
        sample_paths(con, n=stored_paths, steps=STEPS, ops=OPS, seed=1)
        out["stored_per_path_ms"] = 1000 * (time.perf_counter() - t0) / stored_paths
    print(
        f"{tools:,} tools: graph built in {out['graph_build_s']:.1f}s ({out['dependency_edges']:,} dependency edges, "
        f"a tool fed by up to {out['max_producers']:,} producers); index {out['index_build_s']:.2f}s "
        f"(load_graph + required_params {out['baseline_setup_s']:.2f}s); baseline {out['baseline_per_path_ms']:.1f} "
        f"ms/path over {baseline_paths}, identical to the new sampler's={out['identical']}; sample_paths with the "
        f"index read and storage {out['stored_per_path_ms']:.2f} ms/path over {stored_paths}",
        flush=True,
    )
    return out, index


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", type=int, default=1_000)
    ap.add_argument("--large", type=int, default=16_000)
    ap.add_argument("--paths", type=int, default=2_000, help="paths per timing of the new sampler")
    ap.add_argument("--rounds", type=int, default=3, help="timings per size (alternating sizes); the best counts")
    ap.add_argument("--baseline-small", type=int, default=200, help="paths sampled by the baseline at the small size")
    ap.add_argument("--baseline-large", type=int, default=20, help="paths sampled by the baseline at the large size")
    ap.add_argument("--stored", type=int, default=500, help="paths sampled and stored by sample_paths")
    args = ap.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fcstudio-paths-") as tmp:
        small, small_index = measure(
            args.small, Path(tmp), baseline_paths=args.baseline_small, stored_paths=args.stored
        )
        large, large_index = measure(
            args.large, Path(tmp), baseline_paths=args.baseline_large, stored_paths=args.stored
        )
    # the new sampler on both graphs, alternately (the machine is shared: both sizes see the same load)
    for run in (small, large):
        run["per_path_ms"] = float("inf")
    for _ in range(args.rounds):
        for run, index in ((small, small_index), (large, large_index)):
            seconds, _ = best_of(1, lambda index=index: new_sample(index, args.paths))
            run["per_path_ms"] = min(run["per_path_ms"], 1000 * seconds / args.paths)
    print(
        f"new sampler, best of {args.rounds} rounds of {args.paths:,} paths: {small['per_path_ms']:.3f} ms/path at "
        f"{args.small:,} tools, {large['per_path_ms']:.3f} ms/path at {args.large:,}"
    )
    if not (small["identical"] and large["identical"]):
        sys.exit("the new sampler's paths differ from the baseline's")
    print(
        f"paths_scale tools_small={args.small} tools_large={args.large} "
        f"per_path_ms_small={small['per_path_ms']:.3f} per_path_ms_large={large['per_path_ms']:.3f} "
        f"baseline_per_path_ms_small={small['baseline_per_path_ms']:.1f} "
        f"baseline_per_path_ms_large={large['baseline_per_path_ms']:.1f} "
        f"speedup_large={large['baseline_per_path_ms'] / large['per_path_ms']:.0f} "
        f"stored_per_path_ms_large={large['stored_per_path_ms']:.2f} "
        f"index_build_s_small={small['index_build_s']:.2f} index_build_s_large={large['index_build_s']:.2f} "
        f"load_graph_s_large={large['baseline_setup_s']:.2f} identical_paths={small['compared'] + large['compared']} "
        f"ratio={large['per_path_ms'] / small['per_path_ms']:.2f} seconds={time.perf_counter() - started:.0f} "
        f"peak_mb={peak_mb():.0f}"
    )


if __name__ == "__main__":
    main()
