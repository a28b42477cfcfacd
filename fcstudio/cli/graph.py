"""``python -m fcstudio graph ...``: build the tool graph into the workspace and summarise it."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from fcstudio.cli.common import KeyEnvOpt, MaxTokensOpt, WorkspaceOpt, connect, err, progress_bar, report_failures
from fcstudio.graph.build import build_graph
from fcstudio.graph.embed import make_embedder
from fcstudio.graph.read import graph_stats

graph_app = typer.Typer(
    help="The tool graph: parameter-return, parameter-parameter and label edges.", no_args_is_help=True
)


@graph_app.command("build")
def build_cmd(
    workspace: WorkspaceOpt = None,
    embedder: Annotated[
        str, typer.Option(help="'tfidf' (offline) or 'openai:MODEL' (any OpenAI-compatible endpoint).")
    ] = "tfidf",
    base_url: Annotated[
        str | None, typer.Option(help="Embeddings endpoint for openai:MODEL (else $OPENAI_BASE_URL).")
    ] = None,
    api_key_env: KeyEnvOpt = "OPENAI_API_KEY",
    top_k: Annotated[int, typer.Option("--top-k", help="Best matches kept per field.")] = 5,
    threshold: Annotated[
        float | None, typer.Option(help="Cosine threshold (default 0.4 for tfidf, 0.82 for embeddings).")
    ] = None,
    label_top_k: Annotated[int, typer.Option(help="Same-label neighbours kept per tool.")] = 3,
    dataset: Annotated[str | None, typer.Option(help="Only the tools of this dataset.")] = None,
) -> None:
    """Build (or rebuild) the graph over the workspace's tools."""
    try:
        emb = make_embedder(embedder, base_url, api_key_env)
    except ValueError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from None
    with (
        connect(workspace) as con,
        progress_bar() as bar,
    ):
        job = bar.add_task("building graph", total=1.0)
        summary = build_graph(
            con,
            emb,
            threshold=threshold,
            top_k=top_k,
            label_top_k=label_top_k,
            dataset=dataset,
            progress=lambda f, label: bar.update(job, completed=f, description=label),
        )
    sys.stdout.write(json.dumps(summary) + "\n")


@graph_app.command("judge")
def judge_cmd(
    model: Annotated[str, typer.Option(help="Chat model of the OpenAI-compatible endpoint.")],
    workspace: WorkspaceOpt = None,
    base_url: Annotated[str | None, typer.Option(help="Endpoint (else $OPENAI_BASE_URL).")] = None,
    api_key_env: KeyEnvOpt = "OPENAI_API_KEY",
    kinds: Annotated[str, typer.Option(help="Edge kinds to judge, comma-separated.")] = "dependency",
    limit: Annotated[int | None, typer.Option(help="Judge at most this many (strongest first).")] = None,
    concurrency: Annotated[int, typer.Option(help="Requests in flight at once.")] = 8,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Ask again even for a cached request.")] = False,
    max_tokens: MaxTokensOpt = None,
) -> None:
    """LLM judge: keep or drop candidate edges, recording a reason for each (dropped edges leave the walks)."""
    import os

    from fcstudio.graph.judge import judge_edges
    from fcstudio.llm import LLMConfig

    try:
        llm = LLMConfig(
            model=model,
            base_url=base_url or os.environ.get("OPENAI_BASE_URL"),
            api_key_env=api_key_env,
            concurrency=concurrency,
            use_cache=not no_cache,
            max_tokens=max_tokens,
        )
        llm.api_key()
    except ValueError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from None
    with connect(workspace) as con, progress_bar() as bar:
        job = bar.add_task("judging edges", total=1.0)
        try:
            summary = judge_edges(
                con,
                llm,
                kinds=tuple(k.strip() for k in kinds.split(",") if k.strip()),
                limit=limit,
                progress=lambda f, label: bar.update(job, completed=f, description=label),
            )
        except ValueError as exc:
            err.print(f"error: {exc}", markup=False)
            raise typer.Exit(2) from None
    sys.stdout.write(
        json.dumps({"job": summary.job_id, "status": summary.status, **summary.counts, "failed": summary.failed}) + "\n"
    )
    code = report_failures(summary.job_id, summary.status, summary.failed, summary.total, "edges")
    if code:
        raise typer.Exit(code)


@graph_app.command("layout")
def layout_cmd(
    workspace: WorkspaceOpt = None,
    seed: Annotated[int, typer.Option(help="Seed of the force-directed layout (same seed, same drawing).")] = 0,
) -> None:
    """Lay the stored graph out again (force-directed) without rebuilding its edges, as the Graph page's button."""
    from fcstudio.graph.build import relayout_graph
    from fcstudio.graph.read import current_build_id

    with connect(workspace) as con:
        if current_build_id(con) is None:
            err.print("error: no graph to lay out yet; build it first: python -m fcstudio graph build", markup=False)
            raise typer.Exit(2)
        summary = relayout_graph(con, seed=seed)
    sys.stdout.write(json.dumps(summary) + "\n")


@graph_app.command("stats")
def stats_cmd(workspace: WorkspaceOpt = None) -> None:
    """Nodes, edges by kind, components and degree distribution (JSON)."""
    with connect(workspace) as con:
        sys.stdout.write(json.dumps(graph_stats(con), indent=2) + "\n")
