"""BFCL multi-turn checks per second: fcstudio's checker against bfcl-eval's own, on the same cases in one run.

The cases are every multi-turn entry of ``../shared/data/bfcl_v4`` (base, miss_func, miss_param, long_context)
with the gold answer and the perturbations of ``tests/bfcl_multiturn_cases.py`` (about 9,700). A check runs
both sides' calls turn by turn and compares state and results, as BFCL's ``multi_turn_checker`` does.
The baseline is bfcl-eval 2026.3.23's evaluator path for a multi-turn entry (its shape checks, then
``multi_turn_checker``), fetched with ``pip download --no-deps`` (``tools/bfcl_reference.py``) and timed in
this run on the same cases; BFCL deep-copies each class's config and ``eval``s every call. Its verdicts are
first taken with its shared objects put back after every case (as in a fresh process, see
``fcstudio/envs/bfcl/world.py``) and compared with fcstudio's: ``differ`` is how many disagree. The floor
is parsing every call string of the case and its ground truth with ``ast``, the least a checker that
executes calls without ``eval`` must do. Each rate is the best of ``--repeat`` passes; fcstudio's caches (the
loaded-instance templates, the memoised ground truth of an entry) are emptied before each of its passes,
so what they save is only what one pass over these cases saves.

    .venv/bin/python benchmarks/bfcl_multiturn.py [--data ../shared/data/bfcl_v4] [--bfcl-dir DIR] [--repeat 2]

Ends with one line: ``bfcl_multiturn cases=... checks_per_s=... bfcl_checks_per_s=... floor_per_s=... differ=... ratio=... seconds=...``.
"""

from __future__ import annotations

import argparse
import ast
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tools")]

from bfcl_multiturn_cases import cases_for  # noqa: E402
from bfcl_multiturn_reference import MultiTurnReference  # noqa: E402

from fcstudio.envs.bfcl.checker import check_entry, clear_caches  # noqa: E402
from fcstudio.envs.bfcl.entries import load_entries  # noqa: E402


def _rate(
    items: list[tuple[dict[str, Any], dict[str, Any]]],
    fn: Callable[[dict[str, Any], Any], Any],
    repeat: int,
    cold: Callable[[], None] = lambda: None,
) -> float:
    best = 0.0
    for _ in range(repeat):
        cold()
        start = time.perf_counter()
        for entry, case in items:
            fn(entry, case["model_output"])
        best = max(best, len(items) / (time.perf_counter() - start))
    return best


def _parse_all(entry: dict[str, Any], output: Any) -> int:
    n = 0
    for turn in output:
        for step in turn:
            for call in step:
                ast.parse(call, mode="eval")
                n += 1
    for calls in entry["ground_truth"]:
        for call in calls:
            ast.parse(call, mode="eval")
            n += 1
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "bfcl_v4")
    parser.add_argument("--bfcl-dir", type=Path, default=None, help="an unpacked bfcl-eval (else downloaded)")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    started = time.perf_counter()
    entries = load_entries(args.data)
    by_id = {e["id"]: e for e in entries}
    items = [(by_id[c["entry_id"]], c) for c in cases_for(entries)]
    ref = MultiTurnReference(args.bfcl_dir)

    def ours(entry: dict[str, Any], output: Any) -> Any:
        return check_entry(output, entry["ground_truth"], entry)

    def bfcl(entry: dict[str, Any], output: Any) -> Any:
        return ref.verdict(entry, output, restore=False)

    differ = 0
    for entry, case in items:
        want = ref.verdict(entry, case["model_output"])
        got = ours(entry, case["model_output"])
        differ += (got.valid, got.error_type) != (want["valid"], want["error_type"])
    floor = _rate(items, _parse_all, args.repeat)
    mine = _rate(items, ours, args.repeat, clear_caches)  # every pass from cold: no template or memo carried over
    theirs = _rate(items, bfcl, args.repeat)
    print(f"cases: {len(items)} from {len(entries)} entries; verdicts differing from bfcl-eval's: {differ}")
    print(f"fcstudio {mine:,.0f} checks/s, bfcl-eval {theirs:,.0f} checks/s, floor (ast-parse only) {floor:,.0f}/s")
    print(
        f"bfcl_multiturn cases={len(items)} checks_per_s={mine:.0f} bfcl_checks_per_s={theirs:.0f} "
        f"floor_per_s={floor:.0f} differ={differ} ratio={mine / theirs:.1f} seconds={time.perf_counter() - started:.1f}"
    )


if __name__ == "__main__":
    main()
