"""Gold replay of all 2,285 τ²-bench telecom tasks, against the floor of copying both states once per task.

fcstudio's replay (``envs.replay.replay_task`` on ``TelecomEnv``: each task's set-up functions, every gold
action on the side its requestor names with tau2's sync after each, the env assertions, both diffs and both
state hashes) is timed against a floor that does no work but what any replay must: a fresh deep copy of the
operator's database and of the user's phone per task (``copy.deepcopy``; tau2 rebuilds both from TOML). The
two run in the same process, ``--repeat`` times alternately, fastest kept. Start-up (reading db.toml,
user_db.toml and tasks.json) is timed once and apart.

Every task's two final hashes must equal tau2's, as ``tests/fixtures/tau2_telecom_reference.json`` records them
(tools/make_tau2_telecom_reference.py), or the script exits non-zero.

``--tau2-python PY`` (a venv with tau2-bench installed, as ``make_tau2_telecom_reference.py --venv`` leaves
it) also times tau2's own in-process replay of the same tasks (``tools/tau2_telecom_reference_driver.py
--time``: ``get_environment()`` per task, which reads the TOML files, then ``set_state`` and ``get_response``
per action and both hashes), and reports ``vs_tau2`` = tau2's seconds / fcstudio's. Without it those are "na".

    python benchmarks/telecom_replay.py [--repeat 3] [--tau2-python /tmp/tau2-telecom-venv/bin/python]

Last line: ``telecom_replay tasks=... actions=... fcstudio_s=... floor_s=... startup_s=... tau2_s=...
vs_tau2=... hashes_equal=1 ratio=<fcstudio/floor> seconds=... peak_mb=...``
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fcstudio.envs.replay import replay_task  # noqa: E402
from fcstudio.envs.tasks import GoldTask, load_tasks  # noqa: E402
from fcstudio.envs.telecom.environment import TelecomEnv  # noqa: E402
from fcstudio.envs.telecom.records import USER, load_telecom  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "tau2" / "telecom"
REFERENCE = ROOT / "tests" / "fixtures" / "tau2_telecom_reference.json"
DRIVER = ROOT / "tools" / "tau2_telecom_reference_driver.py"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fail(message: str) -> None:
    print(f"telecom_replay: {message}", file=sys.stderr)
    sys.exit(1)


def replay_all(state: dict[str, Any], tasks: list[GoldTask]) -> tuple[float, list[tuple[str, str]]]:
    """Seconds to replay every task on one environment over ``state``, and each task's two final hashes."""
    began = time.perf_counter()
    env = TelecomEnv(state)
    hashes = []
    for task in tasks:
        line = replay_task(env, task)
        hashes.append((line["final_hash"], line["final_user_hash"]))
    return time.perf_counter() - began, hashes


def copy_floor(state: dict[str, Any], tasks: list[GoldTask]) -> float:
    """Seconds to make each task its own deep copy of the operator's database and of the user's phone."""
    operator = {t: records for t, records in state.items() if t != USER}
    began = time.perf_counter()
    for _ in tasks:
        copy.deepcopy(operator)
        copy.deepcopy(state[USER])
    return time.perf_counter() - began


def time_tau2(python: str) -> float:
    """tau2's own replay of every task (its driver's timing mode), in seconds."""
    with tempfile.TemporaryDirectory(prefix="telecom-replay-") as tmp:
        domains = Path(tmp) / "data" / "tau2" / "domains"
        domains.mkdir(parents=True)
        (domains / "telecom").symlink_to(DATA.resolve(), target_is_directory=True)
        env = {**os.environ, "TAU2_DATA_DIR": str(Path(tmp) / "data"), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
        done = subprocess.run(
            [python, str(DRIVER), "--time", str((DATA / "tasks.json").resolve())],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
        )
    found = re.search(r"seconds=([0-9.]+) tasks=(\d+)", done.stdout)
    if done.returncode != 0 or found is None:
        fail(f"tau2's timing run failed (exit {done.returncode}): {done.stderr[-1500:]}")
    return float(found.group(1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3, help="runs per method; the fastest is kept")
    ap.add_argument("--tau2-python", help="a Python with tau2-bench installed: also time tau2's own replay")
    args = ap.parse_args()
    began = time.perf_counter()
    missing = [
        str(p) for p in (DATA / "db.toml", DATA / "user_db.toml", DATA / "tasks.json", REFERENCE) if not p.is_file()
    ]
    if missing:
        fail(f"data not found: {', '.join(missing)}")
    reference = json.loads(REFERENCE.read_text())["tasks"]

    start = time.perf_counter()
    state = load_telecom(DATA / "db.toml", DATA / "user_db.toml")
    tasks = load_tasks(DATA / "tasks.json")
    startup = time.perf_counter() - start

    best = {"fcstudio": float("inf"), "floor": float("inf")}
    runs: list[list[tuple[str, str]]] = []
    for _ in range(max(1, args.repeat)):
        seconds, hashes = replay_all(state, tasks)
        best["fcstudio"] = min(best["fcstudio"], seconds)
        runs.append(hashes)
        best["floor"] = min(best["floor"], copy_floor(state, tasks))
    problems = [f"run {i}: final hashes differ from the first run's" for i, h in enumerate(runs) if h != runs[0]]
    for task, (db_hash, user_hash) in zip(tasks, runs[0], strict=True):
        ref = reference.get(task.task_id)
        if ref is None:
            problems.append(f"task {task.task_id}: not in the reference fixture")
        elif (db_hash, user_hash) != (ref["hash"], ref["user_hash"]):
            problems.append(f"task {task.task_id}: hashes {db_hash[:12]}/{user_hash[:12]} differ from tau2's")
    if problems:
        for p in problems[:20]:
            print(f"  {p}", file=sys.stderr)
        fail(f"{len(problems)} problem(s)")

    actions = sum(len(t.actions) for t in tasks)
    tau2_s = time_tau2(args.tau2_python) if args.tau2_python else None
    print(
        f"{len(tasks)} tasks, {actions} gold actions: fcstudio {best['fcstudio']:.3f}s, "
        f"floor (deep copy of both states per task) {best['floor']:.3f}s"
        + (f", tau2 {tau2_s:.3f}s ({tau2_s / best['fcstudio']:.1f}x)" if tau2_s else "")
    )
    tau2_text = f"{tau2_s:.3f}" if tau2_s else "na"
    vs_text = f"{tau2_s / best['fcstudio']:.1f}" if tau2_s else "na"
    print(
        f"telecom_replay tasks={len(tasks)} actions={actions} fcstudio_s={best['fcstudio']:.3f} "
        f"floor_s={best['floor']:.3f} startup_s={startup:.3f} "
        f"tau2_s={tau2_text} vs_tau2={vs_text} "
        f"hashes_equal=1 ratio={best['fcstudio'] / best['floor']:.3f} "
        f"seconds={time.perf_counter() - began:.1f} peak_mb={peak_mb():.0f}"
    )


if __name__ == "__main__":
    main()
