"""Regenerate ``data/demo/eval/travel_scripted_run.json``: the demo's own evaluation run.

A scripted agent (tests/scripted_eval.py: it makes the gold calls, with the mistakes real agents make, varying
by trial: a booking on the wrong date or flight, the wrong booking or event cancelled, a step or the
confirmation forgotten) and a scripted user play every travel task 4 times through fcstudio's real runner
against the local OpenAI-protocol test server; the run is written in tau2's results layout. The demo imports
that file, so the Leaderboard and Episodes pages have a run with failures to review on a fresh machine.

    .venv/bin/python tools/make_demo_run.py
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from openai_stub import StubServer  # noqa: E402
from scripted_eval import MISTAKES, mistake_kinds, script, travel_tasks  # noqa: E402

from fcstudio.evals.runner import RunSpec, create_run, default_tasks_file, execute_run  # noqa: E402
from fcstudio.evals.tau2_export import to_tau2_results  # noqa: E402
from fcstudio.llm import LLMConfig  # noqa: E402
from fcstudio.store import Workspace  # noqa: E402

OUT = ROOT / "data" / "demo" / "eval" / "travel_scripted_run.json"


KINDS = {t.task_id: mistake_kinds(t) for t in travel_tasks().values()}
SALT = 109  # a salt whose run has every kind of mistake, a flight booked on the wrong date among them (main checks)


def mistake(task_id: str, trial: int) -> str | None:
    """About one episode in five goes wrong, more often on tasks with a write to get wrong, in one of the ways
    its task allows; picked by a hash, so the file is the same on every machine."""
    h = int(hashlib.sha256(f"{task_id}/{trial}/{SALT}".encode()).hexdigest(), 16)
    kinds = KINDS.get(task_id) or []
    writes = [k for k in kinds if k != "forget"]
    if not kinds or h % 100 >= (40 if writes else 15):
        return None
    return kinds[(h // 100) % len(kinds)]


def main() -> None:
    os.environ.setdefault("OPENAI_API_KEY", "demo")
    with tempfile.TemporaryDirectory() as tmp, StubServer(respond=script(mistake=mistake)) as stub:
        ws = Workspace(Path(tmp) / "demo_run.duckdb")
        with ws.connect() as con:
            config = {"base_url": stub.base_url, "concurrency": 1, "use_cache": False}
            spec = RunSpec(
                domain="travel",
                tasks_file=str(default_tasks_file("travel").relative_to(ROOT)),
                trials=4,
                agent=LLMConfig(model="scripted-agent", **config),
                user=LLMConfig(model="scripted-user", **config),
            )
            summary = execute_run(con, create_run(con, spec))
            data = to_tau2_results(con, summary.run_id)
    made = {mistake(t, n) for t in KINDS for n in range(4)} - {None}
    if made != set(MISTAKES):  # the demo shows every kind of mistake; a changed task file can lose one
        raise SystemExit(f"the run lacks mistakes of kinds {sorted(set(MISTAKES) - made)}")
    data["info"]["note"] = (
        "fcstudio demo: a scripted agent (gold calls with plausible, trial-dependent mistakes: wrong date, wrong "
        "flight, wrong booking cancelled, a step or the confirmation forgotten) and a scripted user on the travel domain, played by fcstudio's runner; made by tools/make_demo_run.py."
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, ensure_ascii=False, indent=1))
    print(f"{OUT}: {len(data['simulations'])} episodes, pass^k {summary.report['pass_hat_k']}")


if __name__ == "__main__":
    main()
