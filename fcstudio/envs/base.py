"""Executable environments: a domain state (tables of records), typed tools marked read or write, a policy.

A tool is a documented method decorated with ``@tool("read" | "write" | "generic")``; its JSON
Schema is derived from the signature and the docstring's ``Args:`` section (written once). Calls go
through ``execute``, which never raises: unknown tools, bad arguments and domain rule violations come
back as ``ToolResult(error=True)`` with the text the agent sees (``Error: ...``, as tau2 words it).

State is copy-on-write: a new episode shallow-copies the table dicts (cheap), and a write tool asks
``self.record_for_write(table, key)`` for a private deep copy before changing a record, so the
loaded database is never mutated and resetting costs O(tables).

Environments that are not written as ``@tool`` methods (BFCL's API classes, ``envs/bfcl/environment.py``)
override the tool table (``tool_names``, ``tool_kind``, ``tool_specs``, ``execute``) and the hooks below it:
``binds`` (which catalogue tools run here), ``fresh``, ``start_record``/``from_start`` (a start state recorded
with a trajectory) and ``value_state``/``value_calls`` (real argument values for synthesis).
"""

from __future__ import annotations

import copy
import hashlib
import inspect
import json
import re
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import ConfigDict, Field, ValidationError, create_model

from fcstudio.catalog.schemas import map_subschemas
from fcstudio.envs.hashing import hash_base
from fcstudio.models import ToolSpec
from fcstudio.validation import first_error

ToolKind = Literal["read", "write", "generic"]
State = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class ToolResult:
    output: str
    error: bool = False


class DomainError(ValueError):
    """A domain rule says no; the message is what the agent is told (after ``Error: ``)."""


def tool(
    kind: ToolKind, *, side: Literal["assistant", "user"] = "assistant"
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        # function attributes, read back with getattr by Environment._tools
        fn.__dict__.update(__tool_kind__=kind, __tool_side__=side)
        return fn

    return mark


def _doc_parts(fn: Callable[..., Any]) -> tuple[str, dict[str, str]]:
    """(description, {arg: description}) from a Google-style docstring."""
    doc = inspect.getdoc(fn) or ""
    head, _, rest = doc.partition("\nArgs:")
    description = " ".join(head.split())
    args: dict[str, str] = {}
    current = None
    for line in rest.splitlines():
        if re.match(r"^\s*(Returns|Raises|Yields|Examples?):", line):
            break
        m = re.match(r"^\s{2,}(\w+)(?:\s*\([^)]*\))?:\s*(.*)$", line)
        if m and (current is None or len(line) - len(line.lstrip()) <= 4):
            current = m.group(1)
            args[current] = m.group(2).strip()
        elif current and line.strip():
            args[current] += " " + line.strip()
    return description, args


_ATOMS = (str, int, float, bool, type(None))


def copy_record(value: Any, keep: Any = None) -> Any:
    """A deep copy of a JSON-like record (dicts, lists, scalars), several times faster than ``copy.deepcopy``,
    which anything else falls back to. ``keep``: one object to share rather than copy (telecom's VPN default)."""
    kind = type(value)
    if kind is dict:
        return value if value is keep else {k: copy_record(v, keep) for k, v in value.items()}
    if kind is list:
        return [copy_record(v, keep) for v in value]
    if kind in _ATOMS or isinstance(value, _ATOMS):
        return value
    return copy.deepcopy(value, {} if keep is None else {id(keep): keep})


class Environment:
    """A domain bound to a state. Subclasses define ``name``, ``tables`` and ``@tool`` methods."""

    name: ClassVar[str] = ""
    tables: ClassVar[tuple[str, ...]] = ()
    user_tables: ClassVar[tuple[str, ...]] = ()  # tables of the user's side (dual control: telecom's phone)
    dual_control: ClassVar[bool] = False  # the user has tools of their own (``tool_specs("user")``)
    _tool_cache: ClassVar[dict[str, Any]]

    def __init__(self, state: State, policy: str = ""):
        missing = [t for t in self.tables if t not in state]
        if missing:
            raise ValueError(f"{self.name} state lacks table(s): {', '.join(missing)}")
        self.initial: State = state
        self.policy = policy
        self.state: State = {}
        self._owned: set[tuple[str, str]] = set()
        self.reset()

    # -- episode lifecycle ---------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the initial state: one shallow copy per table; records are shared until written."""
        self.state = {t: dict(records) for t, records in self.initial.items()}
        self._owned = set()
        self.start: State = self.initial  # where the task starts (after its set-up, ``start_task``)

    def start_task(self, initial_state: Mapping[str, Any] | None) -> None:
        """Apply a task's tau2 ``initial_state``; these domains have no set-up functions, so one that asks for
        any is refused (the gold would not start where the task means)."""
        if initial_state and (initial_state.get("initialization_actions") or initial_state.get("initialization_data")):
            raise ValueError(f"{self.name} has no initialization functions; the task's initial_state needs them")

    def user_state_hash(self) -> str | None:
        """tau2's hash of the user's database; None where the user has none."""
        return None

    def run_assertion(self, assertion: Mapping[str, Any]) -> dict[str, Any]:
        """A task's env assertion; these domains have none to run."""
        return {**dict(assertion), "met": False, "error": f"{self.name} has no assertion functions"}

    def record_for_write(self, table: str, key: str) -> Any:
        """This episode's own copy of a record, safe to change."""
        if (table, key) not in self._owned:
            self.state[table][key] = copy_record(self.state[table][key])
            self._owned.add((table, key))
        return self.state[table][key]

    def insert(self, table: str, key: str, record: Any) -> None:
        self.state[table][key] = record
        self._owned.add((table, key))

    # -- tools ---------------------------------------------------------------------------------
    @classmethod
    def _tools(cls) -> dict[str, Any]:
        if "_tool_cache" not in cls.__dict__:
            found = {}
            for name, fn in inspect.getmembers(cls, predicate=inspect.isfunction):
                kind = getattr(fn, "__tool_kind__", None)
                if kind:
                    found[name] = (fn, kind, getattr(fn, "__tool_side__", "assistant"), cls._arguments_model(fn))
            cls._tool_cache = found
        return cls._tool_cache

    @classmethod
    def _arguments_model(cls, fn: Callable[..., Any]) -> Any:
        hints = typing.get_type_hints(fn)
        _, arg_docs = _doc_parts(fn)
        fields: dict[str, Any] = {}
        for pname, param in inspect.signature(fn).parameters.items():
            if pname == "self":
                continue
            default = ... if param.default is inspect.Parameter.empty else param.default
            fields[pname] = (hints[pname], Field(default, description=arg_docs.get(pname, "")))
        return create_model(f"{fn.__name__}_args", __config__=ConfigDict(extra="forbid"), **fields)

    @classmethod
    def tool_names(cls, side: str = "assistant") -> list[str]:
        return sorted(n for n, (_, _, s, _) in cls._tools().items() if s == side)

    @classmethod
    def tool_kind(cls, name: str) -> ToolKind | None:
        entry = cls._tools().get(name)
        return entry[1] if entry else None

    @classmethod
    def tool_specs(cls, side: str = "assistant") -> list[ToolSpec]:
        """The tools as OpenAI function specs, derived from signatures and docstrings."""
        specs = []
        for name in cls.tool_names(side):
            fn, kind, _, model = cls._tools()[name]
            description, _ = _doc_parts(fn)
            schema = _clean_schema(model.model_json_schema())
            params: dict[str, Any] = {"type": "object", "properties": schema.get("properties", {})}
            if schema.get("required"):
                params["required"] = schema["required"]
            if schema.get("$defs"):  # nested models (airline passengers, payments): their $refs point here
                params["$defs"] = schema["$defs"]
            specs.append(ToolSpec(name=name, description=description, parameters=params, labels=[cls.name, kind]))
        return specs

    def execute(self, name: str, arguments: dict[str, Any] | None = None, *, side: str = "assistant") -> ToolResult:
        """Run one call; never raises. Output is the string the agent sees."""
        entry = self._tools().get(name)
        if entry is None or entry[2] != side:
            return ToolResult(f"Error: Tool '{name}' not found.", True)
        fn, _, _, model = entry
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict):
            return ToolResult(f"Error: arguments of {name} must be a JSON object", True)
        try:
            parsed = model.model_validate(arguments)
        except ValidationError as exc:
            where, msg = first_error(exc)
            return ToolResult(f"Error: invalid argument {where or 'arguments'} for {name}: {msg}", True)
        try:
            result = fn(self, **{k: getattr(parsed, k) for k in type(parsed).model_fields})
        except (DomainError, ValueError, KeyError, TypeError, ArithmeticError) as exc:
            return ToolResult(f"Error: {exc}", True)
        return ToolResult(to_output(result), False)

    def call_raw(self, name: str, arguments: dict[str, Any] | None = None, *, side: str = "assistant") -> ToolResult:
        """A call as tau2's evaluator makes gold actions: the tool alone, with none of the episode's
        bookkeeping around it (telecom: no sync after it). The same as ``execute`` here."""
        return self.execute(name, arguments, side=side)

    @classmethod
    def binds(cls, name: str, labels: Sequence[str] = ()) -> bool:
        """Whether a catalogue tool with this name and these labels runs here: by name alone for these domains."""
        return cls.tool_kind(name) is not None

    # -- start states (for synthesis and re-execution) -------------------------------------------------
    def fresh(self) -> Environment:
        """A new environment on the same initial state: one per trajectory, so calls in flight never mix."""
        return type(self)(self.initial, policy=self.policy)

    def start_record(self) -> dict[str, Any] | None:
        """What a trajectory keeps to be run again on this start state; None: the domain's own database."""
        return None

    @classmethod
    def from_start(cls, record: Mapping[str, Any]) -> Environment:
        """An environment on a recorded start state (``start_record``)."""
        raise ValueError(f"{cls.name} starts from its database, not from a recorded start state")

    def value_state(self) -> State:
        """Records whose fields give synthesis real argument values (``ValueBank.add_state``)."""
        return self.initial

    def value_calls(self) -> list[tuple[str, dict[str, Any]]]:
        """Real calls ``(tool, arguments)`` that fit this state, for argument values; none for a plain database."""
        return []

    # -- state inspection ----------------------------------------------------------------------
    def state_hash(self, *, full: bool = False) -> str:
        """tau2's DB hash of the current state: re-encoding only records this episode wrote
        (``hashing.HashBase``), or with ``full`` the whole state from scratch (same value)."""
        return state_hash(self.state) if full else hash_base(self.initial).hash(self.state)


def _clean_schema(schema: Any) -> Any:
    """pydantic's schema without its ``title`` keywords and empty descriptions, at every schema level
    (``$defs`` included); a property *named* ``title`` is a property, and stays."""
    if not isinstance(schema, dict):
        return schema
    kept = {k: v for k, v in schema.items() if k != "title" and not (k == "description" and v == "")}
    return map_subschemas(kept, _clean_schema)


def to_output(result: Any) -> str:
    """The string the agent sees: text as is; anything else as JSON (tau2's rendering)."""
    if isinstance(result, str):
        return result
    if isinstance(result, (int, float, bool)):
        return json.dumps(str(result))
    return json.dumps(result, default=str)


def state_hash(state: State) -> str:
    """sha256 of the key-sorted JSON: independent of dict order, equal to tau2's DB hash for the same data.

    This encodes the whole state; ``Environment.state_hash`` gives the same value incrementally."""
    return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()
