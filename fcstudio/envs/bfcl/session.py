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
            return json.dumps(result)
        except Exception:  # BFCL falls back to str() for anything json cannot encode (objects, Ellipsis)
            return str(result)
    return str(result)


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
        self.methods: dict[str, Callable[..., Any]] = {}  # name -> bound method; a later class wins, as in BFCL
        self.owner: dict[str, str] = {}  # method name -> class name
        for name in self.classes:
            instance = self.instances.get(name)
            if instance is None:
                instance = _loaded(name, initial_config.get(name, {}), long_context, self.world)
                self.instances[name] = instance
            for method_name in _method_names(type(instance)):
                self.methods[method_name] = getattr(instance, method_name)
                self.owner[method_name] = name

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
            name = calls.first_name(call)
            if name in calls.FORBIDDEN:
                raise calls.CallRefused(f"Function call {name} is not allowed.")
            return render(calls.evaluate(calls.parse(call), self.methods))
        except Exception as exc:  # a tool's own failure is a result the model sees, as in BFCL
            return f"Error during execution: {exc}"

    def execute(self, call_list: Iterable[str]) -> list[str]:
        return [self.run(c) for c in call_list]

    def state(self) -> dict[str, dict[str, Any]]:
        """Each stateful instance's public attributes (what BFCL's state check compares), by class."""
        return {name: public_state(inst) for name, inst in self.instances.items() if name not in STATELESS}


_METHODS: dict[type, tuple[str, ...]] = {}


def _method_names(cls: type) -> tuple[str, ...]:
    """What BFCL maps for an instance (its public bound methods), computed once per class."""
    known = _METHODS.get(cls)
    if known is not None:
        return known
    probe: Any = object.__new__(cls)
    _METHODS[cls] = tuple(n for n, _ in inspect.getmembers(probe, predicate=inspect.ismethod) if not n.startswith("_"))
    return _METHODS[cls]


_TEMPLATES: dict[tuple[str, bool, str], bytes] = {}
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
    of copying the config and rebuilding (a long-context file tree, a trading history). A class whose loaded
    instance refers to its world's shared objects (``_loads_shared``) is always loaded afresh."""
    cls = api_class(name)
    shared = getattr(cls, "_loads_shared", None)
    if name in STATELESS or (shared is not None and shared(long_context)):
        return _load(cls, name, config, long_context, world)
    key = _template_key(name, config, long_context)
    if key is None:  # not JSON data: no template
        return _load(cls, name, config, long_context, world)
    blob = _TEMPLATES.get(key)
    if blob is None:
        instance = _load(cls, name, config, long_context, world)
        del instance._world  # a template belongs to no world
        try:
            blob = pickle.dumps(instance, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # something in the state cannot be pickled: no template
            instance._world = world
            return instance
        if len(_TEMPLATES) >= _TEMPLATE_LIMIT:
            _TEMPLATES.clear()
        _TEMPLATES[key] = blob
        instance._world = world
        return instance
    instance = pickle.loads(blob)
    instance._world = world
    return instance


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
