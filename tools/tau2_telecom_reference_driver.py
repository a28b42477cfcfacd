"""Runs tau2-bench's own telecom environment on every task and on coverage sequences (the reference for fcstudio).

Not part of fcstudio: ``tools/make_tau2_telecom_reference.py`` runs this inside a throwaway venv that has
tau2-bench installed (it imports ``tau2``, which fcstudio's own venv does not have), with ``TAU2_DATA_DIR``
pointing at a folder whose ``tau2/domains/telecom/`` is the shared telecom data (db.toml, user_db.toml, the
policies). It only imports and calls tau2, the way tau2's orchestrator and environment evaluator do:

* tau2's ``TelecomDB`` and ``TelecomUserDB`` are loaded once from the TOML files; every sequence gets a FRESH
  environment from ``tau2.domains.telecom.environment.get_environment(db=<deep copy>, user_db=<deep copy>)``
  (whose constructor runs ``sync_tools``);
* the initialization actions run through ``Environment.set_state(initialization_data=<the task's, None for
  every telecom task>, initialization_actions=[EnvFunctionCall, ...], message_history=[])``, which syncs after
  each of them and once more at the end. If it raises, the error is recorded (``init_error``, "<exception
  type>: <message>") and the rest of the sequence is skipped (no outputs, hashes None, no assertions);
* each gold or coverage call goes through ``Environment.get_response(ToolCall(id=f"call_{i}", name,
  arguments, requestor))``: tau2's own error capture ("Error: <message>", ``error=True``), JSON rendering and
  sync after a successful call; ``content`` and ``error`` of the ToolMessage are recorded;
* then ``get_db_hash()`` and ``get_user_db_hash()`` (and, for coverage sequences only, both databases'
  ``model_dump(mode="json")``, taken at the same moment);
* then every env assertion in order, ``Environment.run_env_assertion(EnvAssertion(...),
  raise_assertion_error=False)``, recording ``met`` (a bool) or "error: <exception type>: <message>" when it
  raises. (Assertions run through ``run_env_function_call``, so each one is followed by a sync, as in tau2.)

Pinning -- the contract fcstudio's telecom environment implements, applied before every sequence:

1. tau2 names the draft bill that ``refuel_data`` creates (a customer with no Draft bill)
   ``f"B{uuid.uuid4().hex[:8]}"``, which is random. The module ``uuid`` inside ``tau2.domains.telecom.tools``
   is replaced by an object whose ``uuid4()`` returns ``uuid.uuid5(uuid.NAMESPACE_URL,
   f"fcstudio:telecom:draft-bill:{n}")``, n = 1, 2, ... counting its calls since the sequence started (reset
   per sequence), so the n-th new draft bill of a sequence is ``"B" + that uuid's hex[:8]``.
2. ``TelecomUserTools.default_vpn_details`` is a class attribute: ``connect_vpn`` puts that very object on the
   device and ``break_vpn`` then sets its ``server_performance`` to POOR in place, which in tau2 leaks into
   every later environment of the process. It is reset to a fresh ``VpnDetails(server_address="192.168.1.1",
   protocol="OpenVPN", server_performance=PerformanceLevel.EXCELLENT)`` before each sequence: per-episode
   semantics. Within one sequence the aliasing stays as in tau2 (after ``break_vpn``, a later
   ``connect_vpn`` again reports the POOR server).

Usage:
    python tau2_telecom_reference_driver.py JOB.json RESULT.json
    python tau2_telecom_reference_driver.py --time TASKS.json

JOB: {"tasks_path": tasks.json, "task_ids": [id, ...], "coverage": [{"label", "init": [{"env_type",
"func_name", "arguments"}], "calls": [{"name", "arguments", "requestor"}], "assertions": [{"env_type",
"func_name", "arguments", "assert_value"?, "message"?}]}]}.
RESULT: {"agent_tools": [...], "user_tools": [...], "db_path", "user_db_path", "tasks": {task_id: run},
"coverage": [run]}, run = {"outputs": [{"content", "error"}], "hash", "user_hash", "assertions",
"init_error"} (+ "db", "user_db" for coverage).

``--time`` replays every task of TASKS.json (fresh ``get_environment()`` with no arguments, so db.toml and
user_db.toml are loaded again for every task as tau2's default does; initialization; the gold actions through
``get_response``; both hashes) and prints ``seconds=<float> tasks=<n>``, measured after the imports and after
reading and validating TASKS.json.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from typing import Any

DRAFT_BILL_NAME = "fcstudio:telecom:draft-bill:{n}"


class DraftBillUuid:
    """Stands in for the ``uuid`` module inside ``tau2.domains.telecom.tools`` (pinning 1)."""

    def __init__(self) -> None:
        self.n = 0

    def reset(self) -> None:
        self.n = 0

    def uuid4(self) -> uuid.UUID:
        self.n += 1
        return uuid.uuid5(uuid.NAMESPACE_URL, DRAFT_BILL_NAME.format(n=self.n))


def _error_text(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}"


class Tau2Telecom:
    """tau2's telecom domain, imported once, with the pinning applied before every sequence."""

    def __init__(self) -> None:
        from loguru import logger

        logger.remove()  # tau2 logs every call; nothing of it is needed here

        import tau2.domains.telecom.tools as tools_module
        from tau2.data_model.message import ToolCall
        from tau2.data_model.tasks import EnvAssertion, EnvFunctionCall, Task
        from tau2.domains.telecom import environment, utils
        from tau2.domains.telecom.data_model import TelecomDB
        from tau2.domains.telecom.user_data_model import PerformanceLevel, TelecomUserDB, VpnDetails
        from tau2.domains.telecom.user_tools import TelecomUserTools

        self.uuid = DraftBillUuid()
        tools_module.uuid = self.uuid
        self.ToolCall, self.EnvAssertion, self.EnvFunctionCall, self.Task = (
            ToolCall,
            EnvAssertion,
            EnvFunctionCall,
            Task,
        )
        self.get_environment = environment.get_environment
        self.user_tools_class, self.vpn_details, self.performance = TelecomUserTools, VpnDetails, PerformanceLevel
        self.db_path, self.user_db_path = str(utils.TELECOM_DB_PATH), str(utils.TELECOM_USER_DB_PATH)
        self.db = TelecomDB.load(self.db_path)
        self.user_db = TelecomUserDB.load(self.user_db_path)

    def pin(self) -> None:
        """Pinning 1 and 2 (see the module docstring): a fresh draft-bill counter and default VPN details."""
        self.uuid.reset()
        self.user_tools_class.default_vpn_details = self.vpn_details(
            server_address="192.168.1.1", protocol="OpenVPN", server_performance=self.performance.EXCELLENT
        )

    def fresh_environment(self, from_toml: bool = False) -> Any:
        self.pin()
        if from_toml:
            return self.get_environment()
        return self.get_environment(db=self.db.model_copy(deep=True), user_db=self.user_db.model_copy(deep=True))

    def tool_names(self) -> tuple[list[str], list[str]]:
        env = self.fresh_environment()
        return sorted(env.tools.get_tools()), sorted(env.user_tools.get_tools())

    def run(
        self,
        initialization_data: Any,
        init: list[Any],
        calls: list[Any],
        assertions: list[Any],
        dump: bool = False,
        from_toml: bool = False,
    ) -> dict:
        """One sequence: ``init`` EnvFunctionCalls, ``calls`` ToolCalls, ``assertions`` EnvAssertions."""
        env = self.fresh_environment(from_toml)
        out: dict = {"outputs": [], "hash": None, "user_hash": None, "assertions": [], "init_error": None}
        try:
            env.set_state(initialization_data=initialization_data, initialization_actions=init, message_history=[])
        except Exception as e:  # any failure of tau2's initialization is the result
            out["init_error"] = _error_text(e)
            return out
        for message in calls:
            response = env.get_response(message)
            out["outputs"].append({"content": response.content, "error": bool(response.error)})
        out["hash"], out["user_hash"] = env.get_db_hash(), env.get_user_db_hash()
        if dump:
            out["db"] = env.tools.db.model_dump(mode="json")
            out["user_db"] = env.user_tools.db.model_dump(mode="json")
        for assertion in assertions:
            try:
                out["assertions"].append(bool(env.run_env_assertion(assertion, raise_assertion_error=False)))
            except Exception as e:
                out["assertions"].append("error: " + _error_text(e))
        return out

    # -- inputs ----------------------------------------------------------------------------------------------

    def load_tasks(self, path: str) -> dict[str, Any]:
        with open(path, encoding="utf-8") as fh:
            raw = json.load(fh)
        if isinstance(raw, dict) and "tasks" in raw:
            raw = raw["tasks"]
        return {str(t["id"]): self.Task.model_validate(t) for t in raw}

    def task_parts(self, task: Any) -> tuple[Any, list[Any], list[Any], list[Any]]:
        state, criteria = task.initial_state, task.evaluation_criteria
        data = state.initialization_data if state is not None else None
        init = list(state.initialization_actions or []) if state is not None else []
        if state is not None and state.message_history:
            raise SystemExit(f"task {task.id}: has a message history, which this driver does not replay")
        actions = list(criteria.actions or []) if criteria is not None else []
        calls = [
            self.ToolCall(id=f"call_{i}", name=a.name, arguments=a.arguments, requestor=a.requestor)
            for i, a in enumerate(actions)
        ]
        assertions = list(criteria.env_assertions or []) if criteria is not None else []
        return data, init, calls, assertions

    def coverage_parts(self, seq: dict) -> tuple[list[Any], list[Any], list[Any]]:
        init = [self.EnvFunctionCall(**f) for f in seq["init"]]
        calls = [
            self.ToolCall(id=f"call_{i}", name=c["name"], arguments=c["arguments"], requestor=c["requestor"])
            for i, c in enumerate(seq["calls"])
        ]
        assertions = [self.EnvAssertion(**a) for a in seq["assertions"]]
        return init, calls, assertions


def main(job_path: str, result_path: str) -> None:
    tau2 = Tau2Telecom()
    with open(job_path, encoding="utf-8") as fh:
        job = json.load(fh)
    tasks = tau2.load_tasks(job["tasks_path"])
    agent_tools, user_tools = tau2.tool_names()
    result: dict = {
        "agent_tools": agent_tools,
        "user_tools": user_tools,
        "db_path": tau2.db_path,
        "user_db_path": tau2.user_db_path,
        "tasks": {},
        "coverage": [],
    }
    for task_id in job["task_ids"]:
        data, init, calls, assertions = tau2.task_parts(tasks[task_id])
        result["tasks"][task_id] = tau2.run(data, init, calls, assertions)
    for seq in job["coverage"]:
        init, calls, assertions = tau2.coverage_parts(seq)
        result["coverage"].append(tau2.run(None, init, calls, assertions, dump=True))
    print(f"tau2 telecom: {len(result['tasks'])} tasks, {len(result['coverage'])} coverage sequences", file=sys.stderr)
    with open(result_path, "w", encoding="utf-8") as fh:
        json.dump(result, fh)


def time_tasks(tasks_path: str) -> None:
    tau2 = Tau2Telecom()
    parts = [tau2.task_parts(task) for task in tau2.load_tasks(tasks_path).values()]
    start = time.perf_counter()
    for data, init, calls, _assertions in parts:
        env = tau2.fresh_environment(from_toml=True)
        try:
            env.set_state(initialization_data=data, initialization_actions=init, message_history=[])
        except Exception:  # as in the reference run: the sequence stops there
            continue
        for message in calls:
            env.get_response(message)
        env.get_db_hash()
        env.get_user_db_hash()
    print(f"seconds={time.perf_counter() - start:.3f} tasks={len(parts)}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--time":
        time_tasks(sys.argv[2])
    elif len(sys.argv) == 3:
        main(sys.argv[1], sys.argv[2])
    else:
        raise SystemExit(__doc__)
