"""Force-directed layout at catalogue scale: a generated catalogue of N tools (default 10,000, the generator
of ``graph_build.py``) imported into a fresh workspace, ``build_graph`` (TF-IDF) timed with the layout it now
computes and stores, against the floor measured in the same run: the same build's edge step alone
(``build_edges`` on the same tools), which the layout must not come near.

    python benchmarks/graph_layout.py --tools 10000

Last line: ``graph_layout tools=... edges=... components=... layout_seconds=... edges_seconds=... ratio=...
seconds=... peak_mb=...`` (ratio = layout seconds / edge-step seconds).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graph_build import import_catalogue

from fcstudio.graph.build import build_edges, build_graph, load_tools, relayout_graph
from fcstudio.graph.embed import TfidfEmbedder
from fcstudio.graph.read import graph_stats
from fcstudio.store import Workspace


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tools", type=int, default=10_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="fcstudio-layout-") as tmp:
        ws = Workspace(Path(tmp) / "ws.duckdb")
        with ws.connect() as con:
            import_catalogue(con, Path(tmp), args.tools)
            tools = load_tools(con)
            t0 = time.perf_counter()
            build_edges(tools, TfidfEmbedder(), threshold=0.4, top_k=5)
            edges_seconds = time.perf_counter() - t0
            t0 = time.perf_counter()
            summary = build_graph(con, TfidfEmbedder(), threshold=0.4, top_k=5)
            seconds = time.perf_counter() - t0
            again = relayout_graph(con)  # the layout alone, from the stored graph (the CLI's `graph layout`)
            stats = graph_stats(con)
        print(
            f"built {summary['nodes']:,} tools, {summary['edges']:,} edges, {stats['components']:,} components in "
            f"{seconds:.1f}s, of which layout {summary['layout_seconds']:.1f}s; edge step alone {edges_seconds:.1f}s; "
            f"relayout from the workspace {again['seconds']:.1f}s"
        )
    print(
        f"graph_layout tools={args.tools} edges={summary['edges']} components={stats['components']} "
        f"layout_seconds={summary['layout_seconds']:.2f} relayout_seconds={again['seconds']:.2f} "
        f"edges_seconds={edges_seconds:.1f} ratio={summary['layout_seconds'] / edges_seconds:.2f} "
        f"seconds={seconds:.1f} peak_mb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}"
    )


if __name__ == "__main__":
    main()
