"""bfcl-eval's own multi-turn executor and evaluator, imported from the pinned wheel, and a comparison.

``tools/bfcl_reference.py`` downloads and imports bfcl-eval; this module adds its multi-turn pieces:
``execute`` runs an entry's calls turn by turn through BFCL's ``execute_multi_turn_func_call`` and returns
each turn's results and each stateful class's state (made plain with fcstudio's ``plain``, so both sides are
digested the same way); ``verdict`` runs BFCL's per-entry multi-turn evaluation (its runner's shape checks,
then ``multi_turn_checker``) on a decoded model output. BFCL caches instances in its module's globals by
model name and entry id, so every call here uses a fresh model name and clears the cache afterwards; and its
classes change some shared objects in place (see ``fcstudio/envs/bfcl/world.py``), which are put back after
every case, so each case runs as it would in a fresh process.

Run as a script it compares fcstudio with bfcl-eval on every entry (or on the entries of some classes) and
prints the first differences:

    .venv/bin/python tools/bfcl_multiturn_reference.py --data ../shared/data/bfcl_v4 [--classes TicketAPI,...]
        [--bfcl-dir /tmp/bfcl] [--limit N] [--show 5]

With ``--classes`` each case keeps only the calls of those classes and runs on them alone (the classes share
no state), so one class can be compared before the others exist.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import inspect
import itertools
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tools"), str(ROOT / "tests")]

import bfcl_reference  # noqa: E402
from bfcl_multiturn_cases import cases_for, execute  # noqa: E402

from fcstudio.envs.bfcl.state import digest, plain  # noqa: E402

_names = itertools.count()


class MultiTurnReference:
    def __init__(self, folder: Path | None = None):
        ref = bfcl_reference.load(folder, with_evaluator=True)
        from bfcl_eval.constants import executable_backend_config as config  # type: ignore[import-not-found]
        from bfcl_eval.eval_checker.multi_turn_eval import multi_turn_utils  # type: ignore[import-not-found]

        self.runner = ref.eval_runner
        self.utils = multi_turn_utils
        self.stateless = set(config.STATELESS_CLASSES)
        self.methods: dict[str, set[str]] = {}
        self.modules: list[Any] = []
        self.functions: list[Any] = []
        for name, module_name in config.CLASS_FILE_PATH_MAPPING.items():
            if name.startswith(("Memory", "WebSearch")):
                continue
            module = importlib.import_module(module_name)
            cls = getattr(module, name)
            self.modules.append(module)
            members = inspect.getmembers(cls, inspect.isfunction)
            self.methods[name] = {n for n, _ in members if not n.startswith("_")}
            self.functions += [f for _, f in members if f.__defaults__]
        self.modules.append(importlib.import_module(f"{config.BACKEND_PATH_PREFIX}.long_context"))
        # what BFCL's classes share process-wide and may change in place: module-level lists and dicts (the
        # long-context extensions) and mutable default arguments (TwitterAPI.post_tweet's tags/mentions)
        self.globals = {
            (m, k): copy.deepcopy(v) for m in self.modules for k, v in vars(m).items() if isinstance(v, (list, dict))
        }
        self.defaults = {f: copy.deepcopy(f.__defaults__) for f in self.functions}

    def forget(self) -> None:
        for key in [k for k in vars(self.utils) if k.endswith("_instance")]:
            del vars(self.utils)[key]

    def clear(self) -> None:
        """Forget the cached instances and put every shared object back: each case runs as in a fresh process."""
        self.forget()
        for (module, key), value in self.globals.items():
            vars(module)[key] = copy.deepcopy(value)
        for function, defaults in self.defaults.items():
            function.__defaults__ = copy.deepcopy(defaults)

    def execute(self, entry: dict[str, Any], turns: list[list[list[str]]]) -> list[dict[str, Any]]:
        """Per turn: ``{"results": [...], "state": {class: plain state}}``, steps run in order."""
        model = f"ref{next(_names)}"
        long_context = "long_context" in entry["id"] or "composite" in entry["id"]
        out = []
        try:
            for steps in turns:
                results: list[str] = []
                _, instances = self.utils.execute_multi_turn_func_call(
                    [], entry["initial_config"], entry["involved_classes"], model, entry["id"], long_context
                )
                for step in steps:
                    got, instances = self.utils.execute_multi_turn_func_call(
                        step, entry["initial_config"], entry["involved_classes"], model, entry["id"], long_context
                    )
                    results.extend(got)
                state = {
                    k: {a: plain(v) for a, v in vars(inst).items() if not a.startswith("_")}
                    for k, inst in instances.items()
                    if k not in self.stateless
                }
                out.append({"results": results, "state": state})
        finally:
            self.clear()
        return out

    def verdict(self, entry: dict[str, Any], output: Any, *, restore: bool = True) -> dict[str, Any]:
        """BFCL's evaluation of one decoded output: ``{"valid", "error_type"}``. ``restore=False`` only forgets
        the cached instances (what timing wants: BFCL's own cost, not this harness's)."""
        prompt = {k: v for k, v in entry.items() if k not in ("ground_truth", "category")}
        try:
            got = self.runner._evaluate_single_multi_turn_entry(
                _Decoded(), entry["id"], output, entry["ground_truth"], prompt, f"ref{next(_names)}", entry["category"]
            )
        except Exception as exc:  # bfcl-eval itself failed on the case (it would stop the evaluation there)
            return {"valid": False, "error_type": f"exception:{type(exc).__name__}"}
        finally:
            if restore:
                self.clear()
            else:
                self.forget()
        if got["valid"]:
            return {"valid": True, "error_type": None}
        return {"valid": False, "error_type": got["error"]["error_type"]}


class _Decoded:
    """Stands in for a model handler: each step is already a decoded list of call strings."""

    def decode_execute(self, result: Any, has_tool_call_tag: bool = False) -> Any:
        return result


def restrict(entry: dict[str, Any], case: dict[str, Any], classes: set[str], methods: dict[str, set[str]]):
    """The entry and case cut down to ``classes``: their state and only their calls."""
    own = set().union(*(methods[c] for c in classes))
    keep = [c for c in entry["involved_classes"] if c in classes]

    def mine(call: str) -> bool:
        return call.split("(")[0].strip() in own

    small = dict(entry, involved_classes=keep, ground_truth=[[c for c in t if mine(c)] for t in entry["ground_truth"]])
    output = [[[c for c in step if mine(c)] for step in turn] for turn in case["model_output"]]
    return small, dict(case, model_output=output)


def main() -> None:
    parser = argparse.ArgumentParser(description="Compare fcstudio's BFCL multi-turn classes with bfcl-eval's.")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "bfcl_v4")
    parser.add_argument("--bfcl-dir", type=Path, default=None)
    parser.add_argument("--classes", default="", help="comma-separated class names (default: whole entries)")
    parser.add_argument("--limit", type=int, default=None, help="entries per category")
    parser.add_argument("--show", type=int, default=5, help="differences to print")
    parser.add_argument("--no-verdicts", action="store_true", help="compare execution only")
    args = parser.parse_args()

    from fcstudio.envs.bfcl.checker import check_entry
    from fcstudio.envs.bfcl.entries import load_entries

    ref = MultiTurnReference(args.bfcl_dir)
    classes = {c for c in args.classes.split(",") if c}
    entries = load_entries(args.data, limit=args.limit)
    if classes:
        entries = [e for e in entries if classes & set(e["involved_classes"])]
    by_id = {e["id"]: e for e in entries}
    cases = cases_for(entries)
    shown = differ_exec = differ_verdict = 0
    for case in cases:
        entry = by_id[case["entry_id"]]
        if classes:
            entry, case = restrict(entry, case, classes, ref.methods)
        want = ref.execute(entry, case["model_output"])
        try:
            got = execute(entry, case["model_output"])
        except Exception as exc:  # an unfinished class: report, go on
            got = [{"results": [f"<fcstudio raised {type(exc).__name__}: {exc}>"], "state": {}}]
        for turn, (w, g) in enumerate(itertools.zip_longest(want, got, fillvalue={"results": [], "state": {}})):
            problem = None
            if w["results"] != g["results"]:
                pairs = [(a, b) for a, b in itertools.zip_longest(w["results"], g["results"]) if a != b]
                problem = f"results differ: bfcl={pairs[0][0]!r:.300} fcstudio={pairs[0][1]!r:.300}"
            elif digest(w["state"]) != digest(g["state"]):
                fields = [
                    f"{k}.{a}"
                    for k in w["state"]
                    for a in w["state"][k]
                    if w["state"][k].get(a) != g["state"].get(k, {}).get(a)
                ]
                problem = f"state differs in {fields[:5]}"
            if problem:
                differ_exec += 1
                if shown < args.show:
                    shown += 1
                    print(f"--- {case['id']} turn {turn}: {problem}")
                    print(f"    calls: {case['model_output'][turn] if turn < len(case['model_output']) else None}")
                break
        if not args.no_verdicts:
            bfcl_v = ref.verdict(entry, case["model_output"])
            ours = check_entry(case["model_output"], entry["ground_truth"], entry)
            if (ours.valid, ours.error_type) != (bfcl_v["valid"], bfcl_v["error_type"]):
                differ_verdict += 1
                if shown < args.show:
                    shown += 1
                    print(f"--- {case['id']}: verdict bfcl={bfcl_v} fcstudio={ours.line()}")
    print(f"cases={len(cases)} execution_differs={differ_exec} verdict_differs={differ_verdict}")


if __name__ == "__main__":
    main()
