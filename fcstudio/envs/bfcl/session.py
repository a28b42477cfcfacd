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
                instance = api_class(name)()
                instance._world = self.world
                if name not in STATELESS:
                    instance._load_scenario(copy.deepcopy(initial_config.get(name, {})), long_context=long_context)
                self.instances[name] = instance
            for method_name, method in inspect.getmembers(instance, predicate=inspect.ismethod):
                if not method_name.startswith("_"):
                    self.methods[method_name] = method
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


def public_state(instance: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(instance).items() if not k.startswith("_")}
