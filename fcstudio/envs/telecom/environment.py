"""τ²-bench's telecom domain: dual control, where the agent acts on the operator's database and the user on
their own phone, and a task succeeds only when both sides end right.

One state holds both sides (``records``): the operator's tables and the ``user_db`` table (device,
surroundings). ``execute(side="user")`` runs the phone's tools. After every successful tool call, every
set-up function and the environment's own start, ``sync`` carries the operator's facts to the phone (line
active, roaming allowed, data used up, a bill awaiting payment) and a payment made on the phone back to the
bill, as tau2's ``TelecomEnvironment.sync_tools`` does. Both state hashes are tau2's: sha256 of the
key-sorted JSON of ``TelecomDB.model_dump()`` and of ``TelecomUserDB.model_dump()``.

What tau2 leaves to chance is pinned (``operator.draft_bill_id``, ``phone.default_vpn``).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import inspect
import json
from collections.abc import Mapping
from typing import Any, ClassVar

from fcstudio.envs.base import DomainError, Environment, State, ToolResult
from fcstudio.envs.telecom.operator import OperatorTools
from fcstudio.envs.telecom.phone import PhoneTools, deep_copy_device, default_vpn
from fcstudio.envs.telecom.records import TABLES, USER, operator_state, user_record

_ENCODE = json.JSONEncoder(sort_keys=True, default=str).encode


class EnvFunctionError(ValueError):
    """A set-up function or assertion a task names that cannot run; says which and why."""


class TelecomEnv(OperatorTools, PhoneTools, Environment):
    """Mobile-phone technical support: the agent on the operator's side, the user holding the phone."""

    name = "telecom"
    tables = (*TABLES, USER)
    user_tables: ClassVar[tuple[str, ...]] = (USER,)
    dual_control: ClassVar[bool] = True

    def __init__(self, state: State, policy: str = ""):
        self._record_text: dict[int, tuple[Any, str]] = {}  # id -> (loaded record, its JSON), see state_hash
        super().__init__(state, policy)

    def reset(self) -> None:
        super().reset()
        self._vpn_default = default_vpn()
        self._draft_bills = 0
        self.sync()  # tau2's Environment.__init__ syncs once
        self.start = self.snapshot()

    def snapshot(self) -> State:
        """The state as it is now, kept apart from later writes (they copy the records again)."""
        self._owned = set()
        return {t: dict(records) for t, records in self.state.items()}

    def record_for_write(self, table: str, key: str) -> Any:
        if (table, key) == (USER, "device") and (table, key) not in self._owned:
            self.state[USER]["device"] = deep_copy_device(self.state[USER]["device"], self._vpn_default)
            self._owned.add((table, key))
        return super().record_for_write(table, key)

    # -- the two sides kept in step --------------------------------------------------------------------
    def sync(self) -> None:
        """tau2's ``sync_tools``: the phone learns the line's state; a paid request marks the bill paid."""
        around = self.state[USER]["surroundings"]
        phone_number = around["phone_number"]
        if phone_number is None:
            return
        line = self._line_by_phone(phone_number)
        plan = self._plan(line["plan_id"])
        facts = {
            "line_active": line["status"] == "Active",
            "roaming_allowed": bool(line["roaming_enabled"]),
            "mobile_data_usage_exceeded": line["data_used_gb"] >= plan["data_limit_gb"] + line["data_refueling_gb"],
        }
        if any(around[k] != v for k, v in facts.items()):
            around = self._around()
            around.update(facts)
        request = around["payment_request"]
        if request is not None and request["paid"]:
            self._set_bill_paid(request["bill_id"])
            around = self._around()
            around["payment_request"] = None
        if around["payment_request"] is None:
            waiting = self._awaiting_payment(self._customer_by_phone(phone_number))
            if waiting:
                self._around()["payment_request"] = {
                    "bill_id": waiting[0]["bill_id"],
                    "amount_due": waiting[0]["total_due"],
                    "paid": False,
                }

    def execute(self, name: str, arguments: dict[str, Any] | None = None, *, side: str = "assistant") -> ToolResult:
        """A tool call as tau2's ``get_response`` makes it: the call, then a sync if it succeeded."""
        wrong = self._signature_error(name, arguments, side)
        if wrong:
            return ToolResult(f"Error: {wrong}", True)
        result = super().execute(name, arguments, side=side)
        if result.error:
            return result
        try:
            self.sync()
        except (DomainError, ValueError, KeyError, TypeError) as exc:
            return ToolResult(f"Error: {exc}", True)
        return result

    def call_raw(self, name: str, arguments: dict[str, Any] | None = None, *, side: str = "assistant") -> ToolResult:
        """The tool alone, no sync: how tau2's evaluator runs gold actions to build the expected state."""
        wrong = self._signature_error(name, arguments, side)
        return ToolResult(f"Error: {wrong}", True) if wrong else super().execute(name, arguments, side=side)

    @classmethod
    def _signature_error(cls, name: str, arguments: Any, side: str) -> str | None:
        """Python's TypeError text for missing or unexpected arguments, which is what tau2 (calling the method
        with the arguments as keywords) answers; fcstudio's own wording stays for wrong types."""
        entry = cls._tools().get(name)
        if entry is None or entry[2] != side or not isinstance(arguments, dict):
            return None
        known, required = _parameters(entry[0])
        owner = "TelecomUserTools" if side == "user" else "TelecomTools"
        for key in arguments:
            if key not in known:
                return f"{owner}.{name}() got an unexpected keyword argument '{key}'"
        missing = [f"'{p}'" for p in required if p not in arguments]
        if not missing:
            return None
        listed = missing[0] if len(missing) == 1 else ", ".join(missing[:-1]) + ("," if len(missing) > 2 else "")
        if len(missing) > 1:
            listed += f" and {missing[-1]}"
        plural = "s" if len(missing) > 1 else ""
        return f"{owner}.{name}() missing {len(missing)} required positional argument{plural}: {listed}"

    # -- a task's set-up and end-state checks ------------------------------------------------------------
    @classmethod
    def env_function(cls, env_type: str, name: str) -> Any:
        """The method a task's set-up or assertion names on a side: an ``@env_function`` or a tool of it."""
        fn = getattr(cls, name, None) if not name.startswith("_") else None
        side = getattr(fn, "__env_side__", None) or getattr(fn, "__tool_side__", None)
        if fn is None or side != env_type:
            raise EnvFunctionError(f"no function {name!r} on the {env_type} side of telecom")
        return fn

    def call_function(self, env_type: str, name: str, arguments: Mapping[str, Any] | None = None) -> Any:
        """Run a set-up function or an assertion with the task's arguments as given (as tau2: not converted),
        then sync. Raises EnvFunctionError naming the function when it cannot run."""
        fn = self.env_function(env_type, name)
        try:
            result = fn(self, **dict(arguments or {}))
            self.sync()
        except (DomainError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise EnvFunctionError(f"{env_type} function {name}: {exc}") from None
        return result

    def start_task(self, initial_state: Mapping[str, Any] | None) -> None:
        """Apply a task's ``initial_state``: ``initialization_data`` merged into either database, then each
        ``initialization_actions`` entry on its side, each followed by a sync, then a sync (tau2's ``set_state``).

        tau2 points the user toolkit at the agent's database after merging ``agent_data`` (and the reverse); no
        telecom task has initialization_data, and fcstudio merges each side into its own database instead."""
        if not initial_state:
            return
        if not isinstance(initial_state, Mapping):
            raise EnvFunctionError("initial_state must be an object")
        data = initial_state.get("initialization_data") or {}
        if data:
            self._merge(data)
        for i, action in enumerate(initial_state.get("initialization_actions") or []):
            if not isinstance(action, Mapping):
                raise EnvFunctionError(f"initialization action {i} must be an object")
            try:
                self.call_function(str(action.get("env_type")), str(action.get("func_name")), action.get("arguments"))
            except EnvFunctionError as exc:
                raise EnvFunctionError(f"initialization action {i}: {exc}") from None
        self.sync()
        self.start = self.snapshot()

    def _merge(self, data: Mapping[str, Any]) -> None:
        agent, user = data.get("agent_data"), data.get("user_data")
        if agent:
            raw = {t: list(self.state[t].values()) for t in TABLES}
            merged = operator_state(_deep_update(copy.deepcopy(raw), agent), "initialization_data.agent_data")
            self.state.update(merged)
        if user:
            raw_user = copy.deepcopy(self.state[USER])
            self.state[USER] = user_record(_deep_update(raw_user, user), "initialization_data.user_data")
        self._owned = {(t, k) for t in self.state for k in self.state[t]}
        self.sync()

    def run_assertion(self, assertion: Mapping[str, Any]) -> dict[str, Any]:
        """tau2's ``run_env_assertion``: the function's bool against ``assert_value`` (met), or why it failed."""
        env_type, name = str(assertion.get("env_type")), str(assertion.get("func_name"))
        out = {
            "env_type": env_type,
            "func_name": name,
            "arguments": assertion.get("arguments") or {},
            "assert_value": assertion.get("assert_value", True),
            "met": False,
            "error": None,
        }
        try:
            value = self.call_function(env_type, name, assertion.get("arguments"))
        except EnvFunctionError as exc:
            out["error"] = str(exc)
            return out
        if not isinstance(value, bool):
            out["error"] = f"Function {name} returned {type(value).__name__} instead of bool"
            return out
        out["met"] = value == out["assert_value"]
        return out

    # -- hashes --------------------------------------------------------------------------------------
    def state_hash(self, *, full: bool = False) -> str:
        """tau2's hash of the operator's database (its tables are lists in file order).

        The JSON is assembled from each record's own text (the encoder writes a nested value as it writes that
        value alone); a record still shared with the loaded state is encoded once per environment, since
        copy-on-write never changes it. ``full`` encodes the whole database afresh (the same value)."""
        if full:
            return hashlib.sha256(_ENCODE({t: list(self.state[t].values()) for t in TABLES}).encode()).hexdigest()
        known = self._record_text
        parts = []
        for table in _SORTED_TABLES:
            texts = []
            loaded = self.initial[table]
            for key, record in self.state[table].items():
                hit = known.get(id(record))
                if hit is None or hit[0] is not record:
                    text = _ENCODE(record)
                    if loaded.get(key) is record:
                        known[id(record)] = (record, text)
                else:
                    text = hit[1]
                texts.append(text)
            parts.append(f'"{table}": [{", ".join(texts)}]')
        return hashlib.sha256(("{" + ", ".join(parts) + "}").encode()).hexdigest()

    def user_state_hash(self) -> str:
        """tau2's hash of the user's database (device and surroundings)."""
        return hashlib.sha256(_ENCODE(self.state[USER]).encode()).hexdigest()

    def value_state(self) -> State:
        return {t: self.initial[t] for t in TABLES}


_SORTED_TABLES = sorted(TABLES)  # json.dumps(sort_keys=True) writes the tables in this order


@functools.cache
def _parameters(fn: Any) -> tuple[frozenset[str], tuple[str, ...]]:
    """A tool's parameter names and its required ones, in order (read once per tool)."""
    params = [p for p in inspect.signature(fn).parameters.values() if p.name != "self"]
    return frozenset(p.name for p in params), tuple(p.name for p in params if p.default is inspect.Parameter.empty)


def _deep_update(base: dict[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """addict-style merge, as tau2's ``update_pydantic_model_with_dict``: nested objects merge, the rest replaces."""
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _deep_update(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base
