"""Record bfcl-eval's own verdicts on real BFCL cases, so fcstudio's checker can be held to them offline.

    python tools/make_bfcl_reference.py      # writes tests/fixtures/bfcl_reference_verdicts.json.gz

Every single-turn case of ``../shared/data/bfcl_v4`` with its gold answer and the outputs of
``tests/bfcl_cases.reference_outputs``: the perturbations of ``bfcl_cases.perturbations`` (drawn with
``Random(REFERENCE_SEED)``: wrong names and counts, missing/unexpected parameters, wrong types and values
for each kind of parameter, Java/JavaScript source-text errors, relevance/irrelevance outputs, undecodable
and malformed output), two arguments per case set to a random value (``Random(REFERENCE_SEED + 1)``), and
a few made-up cases for rules no BFCL answer reaches. Each is scored by bfcl-eval's evaluator, the
``eval_runner`` functions that write its score files, with the model handler's decoding step replaced by
the already decoded output (``None`` = output that fails to decode). bfcl-eval is pip-downloaded at the
pinned release into a temporary folder and imported from there, never installed (``tools/bfcl_reference.py``).

The fixture holds, per case, ``id`` (``<entry id>:<perturbation>``), ``category``, ``entry`` (the BFCL entry
id), ``model_output`` and bfcl-eval's ``verdict`` ``{valid, error_type}``; the function docs and possible
answers are read back from the BFCL data by (category, entry), except for the made-up cases (``synthetic``),
which carry theirs. ``tests/test_bfcl.py`` checks that ``fcstudio.evals.bfcl.check`` gives the same verdict
on every case. Prints one summary line with the case count per error type.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tools")]

import bfcl_reference  # noqa: E402
from bfcl_cases import REFERENCE_SEED, reference_outputs  # noqa: E402

from fcstudio.evals.bfcl_data import load_cases  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "bfcl_reference_verdicts.json.gz"
COMMAND = "python tools/make_bfcl_reference.py"


def build(data: Path, ref: bfcl_reference.Reference) -> dict[str, Any]:
    records, synthetic = [], []
    for case, name, output in reference_outputs(load_cases(data)):
        record = {"id": f"{case['id']}:{name}", "category": case["category"], "entry": case["id"]}
        if case["id"].startswith("synthetic_"):  # made up here, so the docs and answers travel with it
            record.update({k: case[k] for k in ("language", "functions", "possible_answer")})
        record.update(model_output=output, verdict=bfcl_reference.evaluate(ref, case, output))
        (synthetic if "functions" in record else records).append(record)
    return {
        "bfcl_eval": bfcl_reference.VERSION,
        "command": COMMAND,
        "scored_by": f"pip download --no-deps {bfcl_reference.BFCL_EVAL}; bfcl_eval.eval_checker.eval_runner."
        "_evaluate_single_ast_entry / _evaluate_single_relevance_entry on the decoded output",
        "seed": REFERENCE_SEED,
        "data": "../shared/data/bfcl_v4 (single-turn categories)",
        "cases": records,
        "synthetic": synthetic,
    }


def write(fixture: dict[str, Any], path: Path) -> None:
    """Deterministic bytes: same cases, same file (gzip without a timestamp or name)."""
    text = json.dumps(fixture, ensure_ascii=False, separators=(",", ":")).replace('},{"id"', '},\n{"id"')
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode("utf-8"))
    tmp.replace(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "bfcl_v4")
    parser.add_argument(
        "--reference",
        type=Path,
        default=None,
        help="A folder to fetch bfcl-eval into, or holding it (default: temporary).",
    )
    parser.add_argument("--out", type=Path, default=FIXTURE)
    args = parser.parse_args()
    try:
        ref = bfcl_reference.load(args.reference, with_evaluator=True)
    except bfcl_reference.ReferenceUnavailable as exc:
        raise SystemExit(f"bfcl-eval is needed to record its verdicts: {exc}") from None
    fixture = build(args.data, ref)
    write(fixture, args.out)
    cases = fixture["cases"] + fixture["synthetic"]
    by_type = Counter(c["verdict"]["error_type"] or "valid" for c in cases)
    categories = len({c["category"] for c in cases})
    counts = " ".join(f"{k}={v}" for k, v in sorted(by_type.items()))
    print(
        f"make_bfcl_reference bfcl_eval={bfcl_reference.VERSION} cases={len(cases)} "
        f"synthetic={len(fixture['synthetic'])} categories={categories} "
        f"error_types={len(by_type) - ('valid' in by_type)} bytes={args.out.stat().st_size} {counts}"
    )


if __name__ == "__main__":
    main()
