"""BFCL's API classes on a start state, as an ``Environment`` that synthesis, verification and the CLI run.

A domain ``bfcl:<Class>`` (or ``bfcl:<A>+<B>``: several classes in one session, as a BFCL entry has them)
offers the classes' tools as BFCL documents them (``multi_turn_func_doc``), converted to JSON Schema by the BFCL
importer's own code, so the catalogue's imported copy of a tool and the environment's are the same tool. A call
runs as the call string ``name(arg=value, ...)`` in a ``Session``: its result is exactly the string BFCL's
executor gives the model. A call is an error when it raised (``Error during execution: ...``) or returned
BFCL's ``{"error": ...}``.

Kinds: ``write`` when the tool can change the public state BFCL's checker compares (``WRITES``, kept by hand
and checked against every BFCL v4 ground-truth call by the tests), ``generic`` for a stateless class's tools
(MathAPI), ``read`` otherwise. ``cd`` is ``read``: it moves GorillaFileSystem's private working directory,
which changes what later calls see but not the checked state.

A catalogue tool runs here only when it has the tool's name *and* its class's label ``bfcl:<Class>`` (both BFCL
importers give it), so a demo or ToolBench tool that happens to be called ``send_message`` is never run as
MessageAPI's. The start state is a ``BfclStart``: a shipped default per class (``data/start/``, one real BFCL
entry's ``initial_config``), a JSON file holding one, or a BFCL entry picked by id from a BFCL data folder.
"""

from __future__ import annotations

import hashlib
import json
import keyword
import os
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

from pydantic import ValidationError

from fcstudio.config import REPO_ROOT
from fcstudio.envs.base import Environment, State, ToolKind, ToolResult
from fcstudio.envs.bfcl.classes import CLASSES, FUNC_DOC_DIR, STATELESS
from fcstudio.envs.bfcl.session import Session, is_long_context
from fcstudio.envs.bfcl.state import plain
from fcstudio.envs.loading import read_json
from fcstudio.models import BfclStart, ToolSpec
from fcstudio.validation import first_error

PREFIX = "bfcl:"
START_DIR = Path(__file__).with_name("data") / "start"
ENV_BFCL_DATA = "FCSTUDIO_BFCL_DATA"

# The tools that can change a class's public state (what BFCL's state check compares).
WRITES: dict[str, frozenset[str]] = {
    "GorillaFileSystem": frozenset({"cp", "echo", "mkdir", "mv", "rm", "rmdir", "touch"}),
    "MathAPI": frozenset(),
    "MessageAPI": frozenset({"add_contact", "delete_message", "message_login", "send_message"}),
    "TicketAPI": frozenset(
        {"close_ticket", "create_ticket", "edit_ticket", "logout", "resolve_ticket", "ticket_login"}
    ),
    "TradingBot": frozenset(
        {
            "add_to_watchlist",
            "cancel_order",
            "fund_account",
            "place_order",
            "remove_stock_from_watchlist",
            "trading_login",
            "trading_logout",
            "withdraw_funds",
        }
    ),
    "TravelAPI": frozenset(
        {
            "authenticate_travel",
            "book_flight",
            "cancel_booking",
            "purchase_insurance",
            "register_credit_card",
            "set_budget_limit",
        }
    ),
    "TwitterAPI": frozenset(
        {"authenticate_twitter", "comment", "follow_user", "mention", "post_tweet", "retweet", "unfollow_user"}
    ),
    "VehicleControlAPI": frozenset(
        {
            "activateParkingBrake",
            "adjustClimateControl",
            "fillFuelTank",
            "lockDoors",
            "pressBrakePedal",
            "releaseBrakePedal",
            "setCruiseControl",
            "setHeadlights",
            "set_navigation",
            "startEngine",
        }
    ),
}

# Collections whose keys are what a parameter names (a card id, a stock symbol), for argument values.
_KEYED: dict[str, dict[str, str]] = {
    "TravelAPI": {"credit_card_list": "card_id", "booking_record": "booking_id"},
    "TradingBot": {"stocks": "symbol", "orders": "order_id"},
    "TwitterAPI": {"tweets": "tweet_id"},
    "MessageAPI": {"user_map": "user_name"},
}


class StartError(ValueError):
    """A start state that cannot be used; names the file (or entry) and the reason."""


def label(cls_name: str) -> str:
    return PREFIX + cls_name


def is_bfcl(domain: str) -> bool:
    return domain.startswith(PREFIX)


def classes_of(domain: str) -> tuple[str, ...]:
    """``bfcl:A+B`` -> ``("A", "B")``; KeyError naming the known classes for anything else."""
    names = tuple(domain.removeprefix(PREFIX).split("+")) if is_bfcl(domain) else ()
    if not names or any(n not in CLASSES for n in names) or len(set(names)) != len(names):
        raise KeyError(f"unknown BFCL domain {domain!r}; known classes: {', '.join(CLASSES)} (join several with +)")
    return names


def start_file(cls_name: str) -> Path:
    """The class's shipped default start state (named as its function-doc file)."""
    return START_DIR / CLASSES[cls_name][1]


def default_data_dir() -> Path:
    """Where ``--entry`` looks for BFCL's files: ``$FCSTUDIO_BFCL_DATA``, else ``../shared/data/bfcl_v4``."""
    root = os.environ.get(ENV_BFCL_DATA)
    return Path(root) if root else REPO_ROOT.parent / "shared" / "data" / "bfcl_v4"


def read_start(path: str | Path) -> BfclStart:
    """A start state from a JSON file: a ``BfclStart`` (as shipped in ``data/start/``) or a BFCL question line."""
    raw = read_json(path, StartError)
    if not isinstance(raw, dict) or "initial_config" not in raw:
        raise StartError(f"{path}: expected a JSON object with 'initial_config' (a BFCL entry or a start state)")
    if "long_context" not in raw and isinstance(raw.get("id"), str):
        raw = {**raw, "long_context": is_long_context(raw["id"])}
    try:
        start = BfclStart.model_validate({"source": str(path), **raw} if "id" not in raw else raw)
    except ValidationError as exc:
        where, why = first_error(exc)
        raise StartError(f"{path}: {where or 'start state'}: {why}") from None
    unknown = [c for c in [*start.classes, *start.initial_config] if c not in CLASSES]
    if unknown:
        raise StartError(f"{path}: unknown BFCL API class(es) {', '.join(sorted(set(unknown)))}")
    return start


def entry_start(entry_id: str, root: str | Path | None = None) -> BfclStart:
    """The start state of one BFCL multi-turn entry (with its ground truth), from a BFCL data folder."""
    from fcstudio.envs.bfcl.entries import category_of, load_entries
    from fcstudio.evals.bfcl_data import BfclDataError

    folder = Path(root) if root else default_data_dir()
    try:
        (entry,) = load_entries(folder, [category_of(entry_id)], ids={entry_id})
    except BfclDataError as exc:
        raise StartError(str(exc)) from None
    return BfclStart(
        source=f"BFCL {entry_id}",
        classes=list(entry["involved_classes"]),
        initial_config=entry["initial_config"],
        long_context=is_long_context(entry_id),
        ground_truth=entry["ground_truth"],
    )


def choose_start(path: str | Path | None, entry: str | None, root: str | Path | None = None) -> BfclStart | None:
    """The start state a file or an entry id names (not both); None for the shipped defaults."""
    if path is not None and entry is not None:
        raise StartError("give a start state file or an entry, not both")
    if root is not None and entry is None:
        raise StartError("a BFCL data folder is only read for an entry: give the entry's id too")
    if path is not None:
        return read_start(path)
    return entry_start(entry, root) if entry is not None else None


@cache
def default_start(cls_name: str) -> BfclStart:
    return read_start(start_file(cls_name))


def start_for(classes: Sequence[str], given: BfclStart | None = None) -> BfclStart:
    """The start of a session of ``classes``: each from ``given`` when it sets that class, else the default."""
    config: dict[str, dict[str, Any]] = {}
    sources: list[str] = []
    truth: list[list[str]] = []
    long_context = False
    for name in classes:
        start = given if given is not None and name in given.classes else default_start(name)
        config[name] = start.initial_config.get(name, {})
        long_context = long_context or start.long_context
        if start.source not in sources:
            sources.append(start.source)
            truth += start.ground_truth
    return BfclStart(
        source=" + ".join(sources),
        classes=list(classes),
        initial_config=config,
        long_context=long_context,
        ground_truth=truth,
    )


def call_string(name: str, arguments: Mapping[str, Any]) -> str:
    """``name(key=value, ...)`` with Python literals; ValueError for a key that is not a plain identifier (it
    would be code in the call string)."""
    bad = [k for k in arguments if not isinstance(k, str) or not k.isidentifier() or keyword.iskeyword(k)]
    if bad:
        raise ValueError(f"argument name {bad[0]!r} is not an identifier")
    return f"{name}({', '.join(f'{k}={v!r}' for k, v in arguments.items())})"


def is_error(output: str) -> bool:
    """BFCL's two ways of failing: an exception, rendered by the executor, or a returned ``{"error": ...}``."""
    if output.startswith("Error during execution"):
        return True
    if not output.startswith("{"):
        return False
    try:
        value = json.loads(output)
    except ValueError:
        return False
    return isinstance(value, dict) and "error" in value


@cache
def _class_tools(cls_name: str) -> tuple[ToolSpec, ...]:
    from fcstudio.catalog.formats.bfcl import class_tools
    from fcstudio.catalog.formats.reader import read_file

    path = FUNC_DOC_DIR / CLASSES[cls_name][1]
    return tuple(class_tools(str(path), cls_name, read_file(path).records))


def tool_kind_of(cls_name: str, tool: str) -> ToolKind:
    if cls_name in STATELESS:
        return "generic"
    return "write" if tool in WRITES[cls_name] else "read"


class BfclEnv(Environment):
    """One session of ``classes`` on a start state; ``reset`` makes a new session from the same start."""

    classes: ClassVar[tuple[str, ...]] = ()
    _table_cache: ClassVar[dict[str, tuple[str, ToolKind, ToolSpec]]]

    def __init__(
        self,
        state: State,
        policy: str = "",
        *,
        long_context: bool = False,
        source: str = "",
        ground_truth: Iterable[Iterable[str]] = (),
    ):
        self.initial = {name: dict(state.get(name) or {}) for name in self.classes}
        self.policy = policy
        self.long_context = long_context
        self.source = source
        self.ground_truth = [list(turn) for turn in ground_truth]
        self._owned = set()
        self.reset()

    @classmethod
    def from_start(cls, record: Mapping[str, Any] | BfclStart) -> BfclEnv:
        start = record if isinstance(record, BfclStart) else BfclStart.model_validate(dict(record))
        mine = start_for(cls.classes, start)
        return cls(
            mine.initial_config, long_context=mine.long_context, source=mine.source, ground_truth=mine.ground_truth
        )

    def fresh(self) -> BfclEnv:
        return type(self)(
            self.initial,
            self.policy,
            long_context=self.long_context,
            source=self.source,
            ground_truth=self.ground_truth,
        )

    def reset(self) -> None:
        self.session = Session(self.initial, self.classes, long_context=self.long_context)
        self.state = self.session.state()

    # -- tools ---------------------------------------------------------------------------------------------
    @classmethod
    def _table(cls) -> dict[str, tuple[str, ToolKind, ToolSpec]]:
        """name -> (owning class, kind, spec labelled with its class and kind)."""
        if "_table_cache" not in cls.__dict__:
            table: dict[str, tuple[str, ToolKind, ToolSpec]] = {}
            for owner in cls.classes:
                for spec in _class_tools(owner):
                    kind = tool_kind_of(owner, spec.name)
                    table[spec.name] = (owner, kind, spec.model_copy(update={"labels": [label(owner), kind]}))
            cls._table_cache = table
        return cls._table_cache

    @classmethod
    def tool_names(cls, side: str = "assistant") -> list[str]:
        return sorted(cls._table()) if side == "assistant" else []

    @classmethod
    def tool_kind(cls, name: str) -> ToolKind | None:
        entry = cls._table().get(name)
        return entry[1] if entry else None

    @classmethod
    def tool_specs(cls, side: str = "assistant") -> list[ToolSpec]:
        return [cls._table()[n][2] for n in cls.tool_names(side)]

    @classmethod
    def binds(cls, name: str, labels: Sequence[str] = ()) -> bool:
        entry = cls._table().get(name)
        return entry is not None and label(entry[0]) in labels

    def execute(self, name: str, arguments: dict[str, Any] | None = None, *, side: str = "assistant") -> ToolResult:
        """Run one call as BFCL's executor would; never raises."""
        if side != "assistant" or name not in self._table():
            return ToolResult(f"Error: Tool '{name}' not found.", True)
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict):
            return ToolResult(f"Error: arguments of {name} must be a JSON object", True)
        try:
            call = call_string(name, arguments)
        except ValueError as exc:
            return ToolResult(f"Error during execution: {exc}", True)
        output = self.session.run(call)
        self.state = self.session.state()
        return ToolResult(output, is_error(output))

    # -- state ---------------------------------------------------------------------------------------------
    def state_hash(self, *, full: bool = False) -> str:
        """sha256 of the key-sorted JSON of every class's public state (``state.plain``)."""
        text = json.dumps(plain(self.session.state()), sort_keys=True, default=repr)
        return hashlib.sha256(text.encode()).hexdigest()

    def start_record(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "classes": list(self.classes),
            "initial_config": self.initial,
            "long_context": self.long_context,
        }

    def value_state(self) -> State:
        """The start's configs, plus the keys of keyed collections (card ids, symbols) and the file system's file
        and folder names as records of the fields that name them."""
        named: dict[str, Any] = {}
        for owner, config in self.initial.items():
            for collection, field in _KEYED.get(owner, {}).items():
                for key in config.get(collection) or {}:
                    named[f"{field}:{key}"] = {field: key}
            if owner == "GorillaFileSystem":
                for kind, name in _tree_names(config.get("root") or {}):
                    fields = ("file_name",) if kind == "file" else ("folder", "dir_name")
                    named[f"{kind}:{name}"] = dict.fromkeys(fields, name)
        return {"config": dict(self.initial), "names": named}

    def value_calls(self) -> list[tuple[str, dict[str, Any]]]:
        """The start's gold calls of this session's tools, with their arguments (positional ones named)."""
        from fcstudio.catalog.formats.bfcl import parse_call

        order = {n: list((spec.parameters.get("properties") or {}).keys()) for n, (_, _, spec) in self._table().items()}
        out = []
        for turn in self.ground_truth:
            for text in turn:
                try:
                    name, args = parse_call(text, order)
                except (SyntaxError, ValueError):
                    continue
                if name in order:
                    out.append((name, args))
        return out


def _tree_names(node: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    """(``file``|``directory``, name) for every entry below a BFCL file-system scenario's root."""
    for name, entry in node.items():
        if not isinstance(entry, dict):
            continue
        kind = entry.get("type")
        if kind in ("file", "directory"):
            yield kind, name
        if isinstance(entry.get("contents"), dict):
            yield from _tree_names(entry["contents"])


@cache
def env_class(domain: str) -> type[BfclEnv]:
    """The environment class of ``bfcl:<Class>`` or ``bfcl:<A>+<B>``."""
    names = classes_of(domain)
    cls_name = "".join(names) + "Env"
    return type(cls_name, (BfclEnv,), {"name": domain, "classes": names, "__doc__": f"BFCL {' + '.join(names)}."})


def open_bfcl(domain: str, path: str | Path | None = None, start: BfclStart | None = None) -> BfclEnv:
    """An environment of ``domain`` on ``start``, or on the start state in ``path``, else on the defaults."""
    cls = env_class(domain)
    if path is not None:
        start = read_start(path)
    return cls.from_start(start or start_for(cls.classes))
