"""Writes ``fcstudio/envs/bfcl/data/start/<class file>.json``: each BFCL API class's default start state.

A user's machine has the repository, not BFCL's data, so each ``bfcl:<Class>`` domain ships one real start
state: the ``initial_config`` of the first ``multi_turn_base`` entry that configures the class (the first that
involves it, for the stateless MathAPI; ``CHOSEN`` names the exceptions), with that entry's ground-truth calls of
the class's own tools (real argument values that fit the state, for synthesis). BFCL's data is Apache-2.0. Run
it again when the BFCL data changes:

    .venv/bin/python tools/make_bfcl_start_states.py [--data ../shared/data/bfcl_v4]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from fcstudio.envs.bfcl.calls import first_name  # noqa: E402
from fcstudio.envs.bfcl.classes import CLASSES, STATELESS, func_docs  # noqa: E402
from fcstudio.envs.bfcl.entries import load_entries  # noqa: E402

OUT = ROOT / "fcstudio" / "envs" / "bfcl" / "data" / "start"
# Exceptions, chosen so that calls made from the start state can succeed. The first GorillaFileSystem entry keeps
# every file one folder down (a call from the start directory finds none); multi_turn_base_18's start directory
# holds five files and a folder, and its ground truth reads and copies them. The first TravelAPI entry has no
# booking and a budget limit above its card's balance (BFCL then refuses every booking); multi_turn_base_153 has a
# booking, a card that covers its budget, and a ground truth that books a flight and fetches the invoice.
CHOSEN = {"GorillaFileSystem": "multi_turn_base_18", "TravelAPI": "multi_turn_base_153"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "bfcl_v4")
    options = parser.parse_args()
    entries = load_entries(options.data, ["multi_turn_base"])
    OUT.mkdir(parents=True, exist_ok=True)
    for cls, (_, doc_file) in CLASSES.items():
        entry = next(
            e
            for e in entries
            if e["id"] == CHOSEN.get(cls)
            or (
                cls not in CHOSEN
                and cls in e["involved_classes"]
                and (cls in STATELESS or e["initial_config"].get(cls))
            )
        )
        names = {d["name"] for d in func_docs(cls)}
        start = {
            "source": f"BFCL v4 {entry['id']}",
            "classes": [cls],
            "initial_config": {cls: {} if cls in STATELESS else entry["initial_config"][cls]},
            "long_context": False,
            "ground_truth": [[c for c in turn if first_name(c) in names] for turn in entry["ground_truth"]],
        }
        path = OUT / doc_file
        path.write_text(json.dumps(start, indent=2) + "\n")
        print(f"{path.relative_to(ROOT)}: {entry['id']}")


if __name__ == "__main__":
    main()
