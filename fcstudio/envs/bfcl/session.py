"""One entry's API instances, alive across its turns, and BFCL's way of running a list of call strings.

BFCL keeps an entry's instances in a process-wide cache keyed by model and entry, so state carries from turn
to turn (and from step to step within a turn); a ``Session`` is that cache for one episode. Results are
rendered as BFCL renders them: a ``str`` as it is, a ``dict`` as ``json.dumps`` (``str`` when that fails),
anything else with ``str``; an exception becomes ``Error during execution: <message>``.
"""

from __future__ import annotations

import copy
import inspect
import json
import pickle
import random
from collections.abc import Callable, Iterable
from typing import Any

from fcstudio.envs.bfcl import calls
from fcstudio.envs.bfcl.classes import STATELESS, api_class
from fcstudio.envs.bfcl.world import World


def is_long_context(category_or_id: str) -> bool:
    """BFCL loads the long-context variant for these categories (``composite`` included)."""
    return "long_context" in category_or_id or "composite" in category_or_id


def render(result: Any) -> str:
    """A method's return value as the string BFCL's executor gives the model."""
    if type(result) is str:
        return result
    if type(result) is dict:
        try:
            return _dumps(result)
        except Exception:  # BFCL falls back to str() for anything json cannot encode (objects, Ellipsis)
            return str(result)
    return str(result)


_BIG = 512  # a list this long is encoded once and its text reused while it stays equal
_FRAGMENTS: dict[int, tuple[list[Any], tuple[Any, ...], str]] = {}


def _dumps(result: dict[Any, Any]) -> str:
    """``json.dumps(result)``, with the long lists some long-context results carry (TradingBot's 2,000-point
    moving averages, the same list object in every answer) encoded once: json's output for a dict is the
    ``key: value`` texts of its items joined, so a cached list text splices in byte for byte. A cached text
    is used only while the list still equals the copy kept with it."""
    for v in result.values():
        if type(v) is list and len(v) >= _BIG:
            break
    else:
        return json.dumps(result)
    if not all(type(k) is str for k in result):
        return json.dumps(result)
    parts = []
    for key, value in result.items():
        text = _fragment(value) if type(value) is list and len(value) >= _BIG else json.dumps(value)
        parts.append(f"{json.dumps(key)}: {text}")
    return "{" + ", ".join(parts) + "}"


def _fragment(items: list[Any]) -> str:
    known = _FRAGMENTS.get(id(items))
    if known is not None and known[0] is items and known[1] == tuple(items):
        return known[2]
    text = json.dumps(items)
    if len(_FRAGMENTS) >= 256:
        _FRAGMENTS.clear()
    _FRAGMENTS[id(items)] = (items, tuple(items), text)  # holding the list keeps its id its own
    return text


class Session:
    """The instances of ``involved_classes``, each loaded from its part of ``initial_config``."""

    def __init__(
        self,
        initial_config: dict[str, Any],
        involved_classes: Iterable[str],
        *,
        long_context: bool,
        world: World | None = None,
    ):
        self.classes = list(involved_classes)
        self.long_context = long_context
        self.world = world or World()  # what BFCL would share with other instances (see ``world``)
        self.instances: dict[str, Any] = {}
        for name in self.classes:
            if name not in self.instances:
                self.instances[name] = _loaded(name, initial_config.get(name, _EMPTY), long_context, self.world)
        self.owner: dict[str, str] = _owners(tuple(self.classes))  # method name -> class; a later class wins
        self.methods = _Methods(self.instances, self.owner)  # name -> bound method, bound when first called

    @classmethod
    def for_entry(cls, entry: dict[str, Any], world: World | None = None) -> Session:
        return cls(
            entry.get("initial_config") or {},
            entry["involved_classes"],
            long_context=is_long_context(entry["id"]),
            world=world,
        )

    def run(self, call: str) -> str:
        """One call string's result, as BFCL's executor renders it; never raises."""
        try:
            plan = calls.plan(call)
            if plan.simple:  # a call of one method with literal arguments only: no tree to walk
                method = self.methods.get(plan.name)
                if method is None:
                    raise NameError(f"name '{plan.name}' is not defined")
                return render(method(*plan.args(), **plan.kwargs()))
            return render(calls.evaluate(plan.node, self.methods))
        except Exception as exc:  # a tool's own failure is a result the model sees, as in BFCL
            return f"Error during execution: {exc}"

    def execute(self, call_list: Iterable[str]) -> list[str]:
        return [self.run(c) for c in call_list]

    def state(self) -> dict[str, dict[str, Any]]:
        """Each stateful instance's public attributes (what BFCL's state check compares), by class."""
        return {name: public_state(inst) for name, inst in self.instances.items() if name not in STATELESS}


class _Methods:
    """The session's tools by name, as BFCL maps them; a method is bound the first time it is called."""

    __slots__ = ("_bound", "_instances", "_owner")

    def __init__(self, instances: dict[str, Any], owner: dict[str, str]):
        self._instances, self._owner = instances, owner
        self._bound: dict[str, Callable[..., Any]] = {}

    def get(self, name: str) -> Callable[..., Any] | None:
        method = self._bound.get(name)
        if method is None:
            cls = self._owner.get(name)
            if cls is None:
                return None
            method = self._bound[name] = getattr(self._instances[cls], name)
        return method

    def __contains__(self, name: str) -> bool:
        return name in self._owner

    def __getitem__(self, name: str) -> Callable[..., Any]:
        method = self.get(name)
        if method is None:
            raise KeyError(name)
        return method

    def keys(self) -> list[str]:
        return list(self._owner)


_OWNERS: dict[tuple[str, ...], dict[str, str]] = {}


def _owners(classes: tuple[str, ...]) -> dict[str, str]:
    """Method name -> class for a list of classes (shared by every session of that list: read only)."""
    known = _OWNERS.get(classes)
    if known is None:
        known = {}
        for name in classes:
            for method_name in _method_names(api_class(name)):
                known[method_name] = name
        _OWNERS[classes] = known
    return known


_METHODS: dict[type, tuple[str, ...]] = {}


def _method_names(cls: type) -> tuple[str, ...]:
    """What BFCL maps for an instance (its public bound methods), computed once per class."""
    known = _METHODS.get(cls)
    if known is not None:
        return known
    probe: Any = object.__new__(cls)
    _METHODS[cls] = tuple(n for n, _ in inspect.getmembers(probe, predicate=inspect.ismethod) if not n.startswith("_"))
    return _METHODS[cls]


_EMPTY: dict[str, Any] = {}  # the config of a class the entry does not configure (never changed: copied first)
_TEMPLATES: dict[tuple[str, bool, str], tuple[bytes, Any]] = {}  # pickled instance, its generator's state
_TEMPLATE_LIMIT = 4096
_KEYS: dict[tuple[int, str, bool], tuple[Any, tuple[str, bool, str] | None]] = {}  # id(config) -> its key


def _template_key(name: str, config: Any, long_context: bool) -> tuple[str, bool, str] | None:
    """The template key of a config: its canonical JSON, remembered by the config's identity (an entry's
    config is the same object check after check; a config changed in place after use is not supported)."""
    known = _KEYS.get((id(config), name, long_context))
    if known is not None and known[0] is config:
        return known[1]
    try:
        key: tuple[str, bool, str] | None = (name, long_context, json.dumps(config, sort_keys=True))
    except (TypeError, ValueError):
        key = None
    if len(_KEYS) >= _TEMPLATE_LIMIT:
        _KEYS.clear()
    _KEYS[(id(config), name, long_context)] = (config, key)  # holding the config keeps its id unique
    return key


def _loaded(name: str, config: Any, long_context: bool, world: World) -> Any:
    """A fresh instance of ``name`` loaded from ``config`` as BFCL loads it (from a deep copy of the config).

    Loading is deterministic, so the first load of a (class, config, variant) is pickled and later ones are
    unpickled from it: the same instance, its seeded generator's state included, for a fraction of the cost
    of copying the config and rebuilding (a long-context file tree, a trading history). A class whose loading
    takes objects from its world splits it into ``_load_own`` (templated) and ``_after_load`` (run on every
    instance, in its own world)."""
    cls = api_class(name)
    if name in STATELESS:
        return _load(cls, name, config, long_context, world)
    key = _template_key(name, config, long_context)
    if key is None:  # not JSON data: no template
        return _load(cls, name, config, long_context, world)
    blob = _TEMPLATES.get(key)
    if blob is not None:
        instance = pickle.loads(blob[0])
        if blob[1] is not None:  # the seeded generator, restored without re-seeding one from the OS first
            generator = random.Random.__new__(random.Random)
            generator.setstate(blob[1])
            instance._random = generator
        instance._world = world
        if hasattr(instance, "_after_load"):
            instance._after_load()
        return instance
    instance = cls()
    split = hasattr(instance, "_load_own")
    mine = _copied(config)
    if split:
        instance._load_own(mine, long_context)
    else:
        instance._world = world
        instance._load_scenario(mine, long_context=long_context)
        del instance._world  # a template belongs to no world
    generator = vars(instance).pop("_random", None)
    state = generator.getstate() if type(generator) is random.Random else None
    if generator is not None and state is None:
        instance._random = generator  # not a plain Random: pickled with the rest
    try:
        made: tuple[bytes, Any] | None = (pickle.dumps(instance, protocol=pickle.HIGHEST_PROTOCOL), state)
    except Exception:  # something in the state cannot be pickled: no template
        made = None
    if generator is not None:
        instance._random = generator
    instance._world = world
    if split:
        instance._after_load()
    if made is not None:
        if len(_TEMPLATES) >= _TEMPLATE_LIMIT:
            _TEMPLATES.clear()
        _TEMPLATES[key] = made
    return instance


def _copied(config: Any) -> Any:
    """A deep copy of a config (pickle's round trip: the same result as ``copy.deepcopy`` on data, and faster)."""
    try:
        return pickle.loads(pickle.dumps(config, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:
        return copy.deepcopy(config)


def _load(cls: type, name: str, config: Any, long_context: bool, world: World) -> Any:
    instance = cls()
    instance._world = world
    if name not in STATELESS:
        instance._load_scenario(copy.deepcopy(config), long_context=long_context)
    return instance


def public_state(instance: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(instance).items() if not k.startswith("_")}


def clear_caches() -> None:
    """Forget the loaded-instance templates and parsed calls (a benchmark's cold start; tests)."""
    _TEMPLATES.clear()
    _KEYS.clear()
    calls.parse.cache_clear()
    calls.plan.cache_clear()
