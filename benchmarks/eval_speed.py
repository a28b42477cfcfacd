"""Evaluation speed: BFCL AST checks per second, and runner episodes per second at fixed model latency.

1. BFCL: every single-turn case of ``../shared/data/bfcl_v4`` with its gold answer and the perturbations
   of ``tests/bfcl_cases.py`` (about 48,000 checks), checked in-process. The baseline, measured in the
   same run over the same items, is bfcl-eval's own checker: ``tools/bfcl_reference.py`` fetches the
   wheel with ``pip download --no-deps`` into a temporary folder (or takes it from ``--reference DIR``)
   and imports it from there, never installed, with its ``model_config`` module (which only maps model
   names to handlers and would import every provider's SDK) replaced by a mapping that keeps names
   verbatim, as our checker does. ``ratio_bfcl`` is ours over bfcl-eval's. When the wheel cannot be had,
   the figure the issue gives (13,000 checks/s) stands in and the line says ``reference=issue_figure``.
   A floor is timed too: walking each output and normalising its strings, the least any checker must do.
2. Runner: the scripted agent and user (``tests/scripted_eval.py``) served by the local OpenAI-protocol
   server in its own process, every answer after a fixed latency. One episode is 4 sequential model
   calls (user opens, agent calls tools, agent answers, user stops), so the ideal rate at concurrency C
   is C / (4 x latency); ``ratio`` is measured over ideal at C = 32 (tools executed, rewards computed,
   reviews built and every episode committed to a workspace, as in a real run).

    python benchmarks/eval_speed.py [--latency 0.2] [--reference DIR]

Ends with one line: ``eval_speed bfcl_checks_per_s=... ref_checks_per_s=... ratio_bfcl=... episodes_per_s=... ratio=...``.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tools")]

import bfcl_reference  # noqa: E402
import openai  # noqa: E402, F401  (imported up front: its one-off import is not episode time)
from bfcl_cases import perturbations  # noqa: E402

from fcstudio.evals.bfcl import check, normalise  # noqa: E402
from fcstudio.evals.bfcl_data import load_cases  # noqa: E402
from fcstudio.evals.runner import RunSpec, create_run, default_tasks_file, execute_run  # noqa: E402
from fcstudio.llm import LLMConfig  # noqa: E402
from fcstudio.store import Workspace  # noqa: E402

ISSUE_FIGURE = 13_000.0  # bfcl-eval's in-process checks per second, as issue 6 gives it
STEPS = 4


def _walk(value: object) -> int:
    if isinstance(value, str):
        return len(normalise(value))
    if isinstance(value, dict):
        return sum(_walk(v) for v in value.values())
    if isinstance(value, list):
        return sum(_walk(v) for v in value)
    return 1


def reference_checker(folder: Path | None) -> Callable[[dict[str, Any], Any], Any] | None:
    """bfcl-eval's checker, scoring a case as its evaluator does (relevance, format check, AST), or None."""
    try:
        ref = bfcl_reference.load(folder)
    except bfcl_reference.ReferenceUnavailable as exc:
        print(f"bfcl-eval could not be had ({exc}); using the issue's figure")
        return None
    ast_checker, is_empty_output, is_call_format = (
        ref.ast_checker,
        ref.is_empty_output,
        ref.is_function_calling_format_output,
    )
    languages = {name: getattr(ref.language, member) for name, member in bfcl_reference.LANGUAGES.items()}

    def score(case: dict[str, Any], out: Any) -> Any:
        category = case["category"]
        if "relevance" in category:
            return is_empty_output(out) == ("irrelevance" in category)
        if not is_call_format(out):
            return False
        return ast_checker(
            case["functions"], out, case["possible_answer"], languages[case["language"]], category, "model"
        )["valid"]

    return score


def _rate(items: list[tuple[dict[str, Any], Any]], fn: Callable[[dict[str, Any], Any], Any]) -> float:
    best = 0.0
    for _ in range(3):
        start = time.perf_counter()
        for c, out in items:
            fn(c, out)
        best = max(best, len(items) / (time.perf_counter() - start))
    return best


def bfcl_speed(data: Path, reference: Path | None) -> dict[str, Any]:
    rng = random.Random(0)
    items = [(c, out) for c in load_cases(data) for _, out, _ in perturbations(c, rng)]

    def ours(c: dict[str, Any], out: Any) -> bool:
        return check(c["functions"], c["possible_answer"], out, c["category"], c["language"]).valid

    ref = reference_checker(reference)
    result = {"checks": len(items), "ours": _rate(items, ours), "floor": _rate(items, lambda c, out: _walk(out))}
    if ref is None:
        result.update(ref=ISSUE_FIGURE, reference="issue_figure", disagreements=-1)
    else:
        # the same verdict on every item, or the speed comparison means nothing
        result["disagreements"] = sum(1 for c, out in items if bool(ours(c, out)) != bool(ref(c, out)))
        result.update(ref=_rate(items, ref), reference="bfcl_eval_measured")
    return result


def runner_speed(latency: float, concurrency: int, trials: int) -> tuple[int, float]:
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "openai_stub.py"), "--latency", str(latency), "--script", "eval"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])},
    )
    base_url = server.stdout.readline().strip()  # type: ignore[union-attr]
    if not base_url.startswith("http"):
        server.kill()
        raise SystemExit("the local OpenAI-protocol server did not start")
    tmp = tempfile.mkdtemp()
    os.environ.setdefault("OPENAI_API_KEY", "bench")
    try:
        ws = Workspace(Path(tmp) / "bench.duckdb")
        config = {"base_url": base_url, "concurrency": concurrency, "use_cache": False}
        spec = RunSpec(
            domain="travel",
            tasks_file=str(default_tasks_file("travel")),
            trials=trials,
            agent=LLMConfig(model="agent", **config),
            user=LLMConfig(model="user", **config),
        )
        with ws.connect() as con:
            run_id = create_run(con, spec)
            start = time.perf_counter()
            summary = execute_run(con, run_id)
            elapsed = time.perf_counter() - start
            if summary.report["pass_hat_k"].get("1") != 1.0:  # the scripted agent solves every task
                raise SystemExit(f"episodes failed, the figures would be wrong: {summary.report}")
    finally:
        server.kill()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    return summary.episodes, summary.episodes / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "bfcl_v4")
    parser.add_argument(
        "--reference",
        type=Path,
        default=None,
        help="An unpacked bfcl-eval wheel, or a folder to fetch it into (default: a temporary one).",
    )
    args = parser.parse_args()
    began = time.perf_counter()
    b = bfcl_speed(args.data, args.reference)
    print(
        f"BFCL: {b['checks']} checks, ours {b['ours']:,.0f}/s, bfcl-eval {b['ref']:,.0f}/s ({b['reference']}), "
        f"verdicts that differ: {b['disagreements']}; floor (walking the outputs) {b['floor']:,.0f}/s"
    )
    results = {}
    for c, trials in ((1, 1), (32, 15)):
        episodes, eps = runner_speed(args.latency, c, trials)
        ideal = c / (STEPS * args.latency)
        results[c] = (eps, eps / ideal)
        print(
            f"runner concurrency {c:>2}: {episodes} episodes, {eps:.2f}/s, ideal {ideal:.2f}/s, ratio {eps / ideal:.3f}"
        )
    seconds = time.perf_counter() - began
    print(
        f"eval_speed bfcl_checks={b['checks']} bfcl_checks_per_s={b['ours']:.0f} ref_checks_per_s={b['ref']:.0f} "
        f"reference={b['reference']} verdicts_differ={b['disagreements']} floor_checks_per_s={b['floor']:.0f} "
        f"ratio_bfcl={b['ours'] / b['ref']:.2f} latency_ms={args.latency * 1000:.0f} "
        f"episodes_per_s_c1={results[1][0]:.2f} ratio_c1={results[1][1]:.3f} "
        f"episodes_per_s={results[32][0]:.2f} ratio={results[32][1]:.3f} seconds={seconds:.1f}"
    )


if __name__ == "__main__":
    main()
