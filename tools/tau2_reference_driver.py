"""Runs call sequences through tau2-bench's own retail and airline environments (the reference for fcstudio).

Not part of fcstudio: ``tools/make_tau2_reference.py`` runs this inside a throwaway venv that has tau2-bench
installed (it imports ``tau2``, which fcstudio's own venv does not have), with ``TAU2_DATA_DIR`` pointing at a
folder whose ``tau2/domains/<domain>/`` holds the shared ``db.json`` and ``policy.md``. It only imports and
calls tau2: tau2's data model loads db.json once, every sequence gets a deep copy of it in an environment from
tau2's ``get_environment``, each call goes through ``Environment.get_response`` (tau2's own error capture and
JSON rendering), and the DB hash after a sequence is ``Environment.get_db_hash``.

Usage: python tau2_reference_driver.py JOB.json RESULT.json
JOB: {"domains": {name: {"gold": {task_id: [call, ...]}, "perturbed": [[call, ...], ...]}}},
call = {"name", "arguments"}. RESULT: per domain tau2's tool names and, for every sequence
{"calls": [{"output", "error"}], "final_hash"}.
"""

from __future__ import annotations

import importlib
import json
import sys


def _quiet() -> None:
    """tau2 logs every call (and warns about the seats cancellations keep); only errors matter here."""
    from loguru import logger

    logger.remove()
    logger.add(sys.stderr, level="ERROR")


def _run(environment_module, db, calls: list[dict], tool_call_cls) -> dict:  # type: ignore[no-untyped-def]
    env = environment_module.get_environment(db=db.model_copy(deep=True))
    out = []
    for i, call in enumerate(calls):
        message = tool_call_cls(id=f"call_{i}", name=call["name"], arguments=call["arguments"], requestor="assistant")
        response = env.get_response(message)
        out.append({"output": response.content, "error": bool(response.error)})
    return {"calls": out, "final_hash": env.get_db_hash()}


def main(job_path: str, result_path: str) -> None:
    _quiet()
    from tau2.data_model.message import ToolCall

    job = json.loads(open(job_path, encoding="utf-8").read())
    result: dict = {"domains": {}}
    for domain, sequences in job["domains"].items():
        module = importlib.import_module(f"tau2.domains.{domain}.environment")
        db_class = {"retail": "RetailDB", "airline": "FlightDB"}[domain]
        data_model = importlib.import_module(f"tau2.domains.{domain}.data_model")
        utils = importlib.import_module(f"tau2.domains.{domain}.utils")
        db = getattr(data_model, db_class).load(str(getattr(utils, f"{domain.upper()}_DB_PATH")))
        result["domains"][domain] = {
            "tools": sorted(module.get_environment(db=db).tools.get_tools()),
            "gold": {tid: _run(module, db, calls, ToolCall) for tid, calls in sequences["gold"].items()},
            "perturbed": [_run(module, db, calls, ToolCall) for calls in sequences["perturbed"]],
        }
        print(f"tau2 {domain}: {len(sequences['gold'])} gold, {len(sequences['perturbed'])} perturbed", file=sys.stderr)
    with open(result_path, "w", encoding="utf-8") as fh:
        json.dump(result, fh)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
