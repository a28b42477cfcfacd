"""bfcl-eval's own checker, fetched on demand into a temporary folder and imported from there.

bfcl-eval is never a dependency of fcstudio: its wheel pulls in every provider's SDK, a vector store and
PyTorch. What its checker needs is small, so this module ``pip download``s the pinned wheel with
``--no-deps``, unpacks it, and imports it from that folder with its ``model_config`` module (which only maps
model names to handlers and would import the SDKs) replaced by a mapping that keeps function names verbatim,
as fcstudio's checker does. ``with_evaluator=True`` also installs (``pip install --no-deps --target``, into
the same folder) the few runtime dependencies that the evaluator module ``eval_runner`` imports on its way to
the per-entry scoring functions: tree-sitter and its Java/JavaScript grammars at bfcl-eval's pins, tenacity,
overrides, plus any of tqdm/python-dotenv/filelock that this Python lacks (pandas and numpy, which it
imports too, are fcstudio requirements).

Used by ``benchmarks/eval_speed.py`` (the checker, timed) and ``tools/make_bfcl_reference.py`` (the evaluator's
verdicts, recorded as a test fixture).
"""

from __future__ import annotations

import atexit
import importlib.util
import shutil
import subprocess
import sys
import tempfile
import types
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VERSION = "2026.3.23"  # the release ../shared/data/bfcl_v4 comes from
BFCL_EVAL = f"bfcl-eval=={VERSION}"
# What importing bfcl_eval.eval_checker.eval_runner needs beyond the checker, at bfcl-eval's own pins.
EVALUATOR_DEPS = (
    "tree_sitter==0.21.3",
    "tree-sitter-java==0.21.0",
    "tree-sitter-javascript==0.21.4",
    "tenacity>=8.5.0",
    "overrides",
)
# Installed only when this Python cannot import them already (module name -> requirement).
IF_MISSING = {"tqdm": "tqdm", "dotenv": "python-dotenv>=1.0.1", "filelock": "filelock"}


class ReferenceUnavailable(RuntimeError):
    """bfcl-eval (or a dependency) could not be downloaded or imported."""


@dataclass
class Reference:
    """The imported pieces of bfcl-eval; ``eval_runner`` is None unless asked for."""

    folder: Path
    ast_checker: Any
    language: Any  # bfcl_eval.constants.enums.Language
    return_format: Any  # bfcl_eval.constants.enums.ReturnFormat
    is_empty_output: Any
    is_function_calling_format_output: Any
    eval_runner: types.ModuleType | None = None


def _pip(*args: str) -> None:
    got = subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True)
    if got.returncode != 0:
        raise ReferenceUnavailable(f"pip {' '.join(args)} failed: {got.stderr.strip()[-400:]}")


def fetch(folder: Path | None = None, *, with_evaluator: bool = False) -> Path:
    """A folder holding bfcl-eval's unpacked wheel under ``src/`` (and the evaluator's deps under ``deps/``).

    ``folder`` given: used as it is when it already holds them (or is itself an unpacked wheel), else filled.
    ``None``: a temporary folder, removed at exit.
    """
    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix="bfcl-eval-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    src = _source(folder)
    if not (src / "bfcl_eval").is_dir():
        _pip("download", "-q", "--no-deps", "-d", str(folder), BFCL_EVAL)
        wheels = sorted(folder.glob(f"bfcl_eval-{VERSION}-*.whl"))
        if not wheels:
            raise ReferenceUnavailable(f"pip download left no bfcl_eval-{VERSION} wheel in {folder}")
        with zipfile.ZipFile(wheels[0]) as whl:
            whl.extractall(src)
    deps = folder / "deps"
    if with_evaluator and not (deps / ".complete").exists():
        wanted = list(EVALUATOR_DEPS) + [
            req for mod, req in IF_MISSING.items() if importlib.util.find_spec(mod) is None
        ]
        _pip("install", "-q", "--no-deps", "--target", str(deps), *wanted)
        (deps / ".complete").write_text("\n".join(wanted) + "\n")
    return folder


def _source(folder: Path) -> Path:
    return folder if (folder / "bfcl_eval").is_dir() else folder / "src"


def load(folder: Path | None = None, *, with_evaluator: bool = False) -> Reference:
    """Import bfcl-eval from ``fetch(folder)`` (see the module docstring); raises ReferenceUnavailable."""
    folder = fetch(folder, with_evaluator=with_evaluator)
    paths = [str(_source(folder))] + ([str(folder / "deps")] if with_evaluator else [])
    sys.path[:0] = [p for p in paths if p not in sys.path]
    stub = types.ModuleType("bfcl_eval.constants.model_config")

    class Verbatim:
        underscore_to_dot = False

    stub.MODEL_CONFIG_MAPPING = type("Names", (dict,), {"__getitem__": lambda self, k: Verbatim()})()  # type: ignore[attr-defined]
    sys.modules["bfcl_eval.constants.model_config"] = stub
    try:
        from bfcl_eval.constants.enums import Language, ReturnFormat  # type: ignore[import-not-found]
        from bfcl_eval.eval_checker.ast_eval.ast_checker import ast_checker  # type: ignore[import-not-found]
        from bfcl_eval.utils import (  # type: ignore[import-not-found]
            is_empty_output,
            is_function_calling_format_output,
        )

        runner = None
        if with_evaluator:
            from bfcl_eval.eval_checker import eval_runner as runner  # type: ignore[import-not-found]
    except ImportError as exc:
        raise ReferenceUnavailable(f"bfcl-eval from {folder} does not import: {exc}") from None
    return Reference(
        folder, ast_checker, Language, ReturnFormat, is_empty_output, is_function_calling_format_output, runner
    )


LANGUAGES = {"python": "PYTHON", "java": "JAVA", "javascript": "JAVASCRIPT"}


class _DecodedOutput:
    """Stands in for a model handler: the output is already decoded; ``None`` is output that fails to decode."""

    def decode_ast(self, result: Any, *args: Any, **kwargs: Any) -> Any:
        if result is None:
            raise ValueError("the model output could not be decoded")
        return result


def evaluate(ref: Reference, case: dict[str, Any], output: Any) -> dict[str, Any]:
    """bfcl-eval's evaluator verdict on one decoded ``output``: ``{"valid", "error_type"}``.

    Runs eval_runner's own per-entry functions (relevance detection, decoding, format check, AST check), so
    the error type is the one bfcl-eval writes in its score files. An exception inside bfcl-eval is reported
    as ``error_type`` ``exception:<Type>`` (bfcl-eval would stop the whole evaluation there).
    """
    if ref.eval_runner is None:
        raise ValueError("load(..., with_evaluator=True) first")
    category = case["category"]
    prompt = {"function": case["functions"]}
    try:
        if "relevance" in category:  # also irrelevance
            got = ref.eval_runner._evaluate_single_relevance_entry(
                _DecodedOutput(), case["id"], output, prompt, "model", category
            )
        else:
            name = LANGUAGES[case["language"]]
            got = ref.eval_runner._evaluate_single_ast_entry(
                _DecodedOutput(),
                case["id"],
                output,
                case["possible_answer"],
                prompt,
                "model",
                category,
                language=getattr(ref.language, name),
                return_format=getattr(ref.return_format, name),
            )
    except Exception as exc:
        return {"valid": False, "error_type": f"exception:{type(exc).__name__}"}
    return {"valid": bool(got["valid"]), "error_type": None if got["valid"] else got["error_type"]}
