"""Gold replay of every tau2 retail and airline task: incremental DB hash against the full-hash baseline.

``env replay`` hashes the database after every task (tau2's sha256 of the key-sorted ``json.dumps``).
This replays each domain's gold tasks twice in the same run, with ``Environment.state_hash()`` (the
incremental ``envs.hashing.HashBase``, whose one full encoding of the loaded database is paid inside
the timed replay) and with ``full_hash=True`` (the whole database encoded per task, as before). Start-up
(loading db.json and tasks.json) is timed once and apart. Each method runs ``--repeat`` times
alternately and keeps its fastest run, which tames a shared machine's noise.

Every task's final hash must be the same by both methods and, where
``tests/fixtures/tau2_reference_outputs.json`` records tau2's own hash, equal to it; otherwise (or when
the data is missing) the script says so and exits non-zero.

    python benchmarks/replay_speed.py [--repeat 3]

Last line: ``replay_speed retail_tasks=... retail_s=... retail_baseline_s=... airline_tasks=... airline_s=...
airline_baseline_s=... startup_s=... hashes_equal=1 ratio=<new/baseline total> seconds=... peak_mb=...``
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fcstudio.envs.registry import DOMAINS  # noqa: E402
from fcstudio.envs.replay import replay_task  # noqa: E402
from fcstudio.envs.tasks import GoldTask, load_tasks  # noqa: E402

TAU2 = ROOT.parent / "shared" / "data" / "tau2"
REFERENCE = ROOT / "tests" / "fixtures" / "tau2_reference_outputs.json"
DOMAIN_NAMES = ("retail", "airline")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fail(message: str) -> None:
    print(f"replay_speed: {message}", file=sys.stderr)
    sys.exit(1)


def replay_all(domain: str, state: dict[str, Any], tasks: list[GoldTask], *, full_hash: bool) -> tuple[float, list]:
    """Seconds to replay every task on a new environment over ``state``, and each task's final hash.

    The environment gets its own top-level copy of the state (the records stay shared), so the
    incremental method builds its HashBase from scratch inside the timing, as a fresh ``env replay`` does."""
    began = time.perf_counter()
    env = DOMAINS[domain].env({t: dict(records) for t, records in state.items()})
    hashes = [replay_task(env, task, full_hash=full_hash)["final_hash"] for task in tasks]
    return time.perf_counter() - began, hashes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3, help="runs per method and domain; the fastest is kept")
    args = ap.parse_args()
    began = time.perf_counter()
    missing = [str(p) for d in DOMAIN_NAMES for p in (TAU2 / d / "db.json", TAU2 / d / "tasks.json") if not p.is_file()]
    if not REFERENCE.is_file():
        missing.append(str(REFERENCE))
    if missing:
        fail(f"data not found: {', '.join(missing)}")
    reference = json.loads(REFERENCE.read_text())["domains"]

    start = time.perf_counter()
    loaded = {
        d: (DOMAINS[d].load(str(TAU2 / d / "db.json")), load_tasks(TAU2 / d / "tasks.json")) for d in DOMAIN_NAMES
    }
    startup = time.perf_counter() - start

    figures: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for domain in DOMAIN_NAMES:
        state, tasks = loaded[domain]
        gold = reference.get(domain, {}).get("gold", {})
        best = {"new": float("inf"), "baseline": float("inf")}
        runs: list[tuple[str, list[str]]] = []
        for _ in range(max(1, args.repeat)):
            for method in ("new", "baseline"):
                seconds, hashes = replay_all(domain, state, tasks, full_hash=method == "baseline")
                best[method] = min(best[method], seconds)
                runs.append((method, hashes))
        first = runs[0][1]
        problems += [
            f"{domain}: a {method} run's final hashes differ from the first run's" for method, h in runs if h != first
        ]
        for task, got in zip(tasks, first, strict=True):
            expected = gold.get(task.task_id, {}).get("final_hash")
            if expected is not None and got != expected:
                problems.append(f"{domain} task {task.task_id}: final hash {got} != tau2's {expected}")
        with_reference = sum(t.task_id in gold for t in tasks)
        figures[domain] = {**best, "tasks": len(tasks)}
        print(
            f"{domain}: {len(tasks)} tasks ({with_reference} with tau2's hash), incremental {best['new']:.3f}s, "
            f"full hash {best['baseline']:.3f}s, ratio {best['new'] / best['baseline']:.3f}"
        )
    if problems:
        for p in problems[:20]:
            print(f"  {p}", file=sys.stderr)
        fail(f"{len(problems)} hash mismatch(es)")
    new_total = sum(figures[d]["new"] for d in DOMAIN_NAMES)
    baseline_total = sum(figures[d]["baseline"] for d in DOMAIN_NAMES)
    r, a = figures["retail"], figures["airline"]
    print(
        f"replay_speed retail_tasks={r['tasks']} retail_s={r['new']:.3f} retail_baseline_s={r['baseline']:.3f} "
        f"airline_tasks={a['tasks']} airline_s={a['new']:.3f} airline_baseline_s={a['baseline']:.3f} "
        f"startup_s={startup:.3f} hashes_equal=1 ratio={new_total / baseline_total:.3f} "
        f"seconds={time.perf_counter() - began:.1f} peak_mb={peak_mb():.0f}"
    )


if __name__ == "__main__":
    main()
