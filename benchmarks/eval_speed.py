"""Evaluation speed: BFCL AST checks per second, and runner episodes per second at fixed model latency.

1. BFCL: every single-turn case of ``../shared/data/bfcl_v4`` with its gold answer and the perturbations
   of ``tests/bfcl_cases.py`` (about 35,000 checks), checked in-process. The reference is bfcl-eval's
   own checker, about 13,000 checks a second in-process on these machines (issue 6); ``ratio_bfcl`` is
   ours over that. In the same run we time a floor: walking each output and normalising its strings,
   the least any checker must do.
2. Runner: the scripted agent and user (``tests/scripted_eval.py``) served by the local OpenAI-protocol
   server in its own process, every answer after a fixed latency. One episode is 4 sequential model
   calls (user opens, agent calls tools, agent answers, user stops), so the ideal rate at concurrency C
   is C / (4 x latency); ``ratio`` is measured over ideal at C = 32 (tools executed, rewards computed,
   reviews built and every episode committed to a workspace, as in a real run).

    python benchmarks/eval_speed.py [--latency 0.2]

Ends with one line: ``eval_speed bfcl_checks_per_s=... ratio_bfcl=... episodes_per_s=... ratio=... seconds=...``.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import openai  # noqa: E402, F401  (imported up front: its one-off import is not episode time)
from bfcl_cases import perturbations  # noqa: E402

from fcstudio.evals.bfcl import check, normalise  # noqa: E402
from fcstudio.evals.bfcl_data import load_cases  # noqa: E402
from fcstudio.evals.runner import RunSpec, create_run, default_tasks_file, execute_run  # noqa: E402
from fcstudio.llm import LLMConfig  # noqa: E402
from fcstudio.store import Workspace  # noqa: E402

BFCL_REFERENCE = 13_000.0  # bfcl-eval's in-process checks per second on these machines
STEPS = 4


def _walk(value: object) -> int:
    if isinstance(value, str):
        return len(normalise(value))
    if isinstance(value, dict):
        return sum(_walk(v) for v in value.values())
    if isinstance(value, list):
        return sum(_walk(v) for v in value)
    return 1


def bfcl_speed(data: Path) -> tuple[int, float, float]:
    rng = random.Random(0)
    items = [(c, out) for c in load_cases(data) for _, out, _ in perturbations(c, rng)]
    best, floor = 0.0, 0.0
    for _ in range(3):
        start = time.perf_counter()
        for c, out in items:
            check(c["functions"], c["possible_answer"], out, c["category"], c["language"])
        best = max(best, len(items) / (time.perf_counter() - start))
        start = time.perf_counter()
        for _, out in items:
            _walk(out)
        floor = max(floor, len(items) / (time.perf_counter() - start))
    return len(items), best, floor


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
    args = parser.parse_args()
    began = time.perf_counter()
    n, rate, floor = bfcl_speed(args.data)
    print(f"BFCL: {n} checks, {rate:,.0f} checks/s (floor: walking the outputs, {floor:,.0f}/s)")
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
        f"eval_speed bfcl_checks={n} bfcl_checks_per_s={rate:.0f} floor_checks_per_s={floor:.0f} "
        f"ratio_bfcl={rate / BFCL_REFERENCE:.2f} latency_ms={args.latency * 1000:.0f} "
        f"episodes_per_s_c1={results[1][0]:.2f} ratio_c1={results[1][1]:.3f} "
        f"episodes_per_s={results[32][0]:.2f} ratio={results[32][1]:.3f} seconds={seconds:.1f}"
    )


if __name__ == "__main__":
    main()
