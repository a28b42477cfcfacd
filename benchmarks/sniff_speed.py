"""How long `import auto` takes to tell a big file's format, against reading the file at all.

Telling a format reads only the first record, so it should cost the same on 70,000 trajectories as on 7: the
run writes an xLAM JSON-lines file and a ShareGPT JSON array of ``--rows`` rows each (real rows from
tests/fixtures, repeated), then times ``sniff`` on each against the floor of reading the file's bytes once
(what any importer must do before it can start). ``ratio`` is sniff time over that floor: well under 1 means
the choice of format adds nothing a user would notice to an import.

    .venv/bin/python benchmarks/sniff_speed.py [--rows 70000]

Ends with one line: ``sniff_speed rows=... mb=... sniff_ms=... read_ms=... ratio=... seconds=... peak_mb=...``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fcstudio.catalog.formats.sniff import sniff  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"


def _best(fn: object, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=70_000)
    args = ap.parse_args()
    start = time.perf_counter()
    xlam_row = (FIXTURES / "xlam" / "xlam_sample.jsonl").read_text(encoding="utf-8").splitlines()[0]
    chats = json.loads((FIXTURES / "outside" / "glaive_toolcall_en_demo.head6.json").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        xlam = Path(tmp) / "big.jsonl"
        xlam.write_text((xlam_row + "\n") * args.rows, encoding="utf-8")
        sharegpt = Path(tmp) / "big_sharegpt.json"
        body = ",\n".join(json.dumps(chats[i % len(chats)]) for i in range(args.rows))
        sharegpt.write_text("[\n" + body + "\n]\n", encoding="utf-8")
        mb = (xlam.stat().st_size + sharegpt.stat().st_size) / 1e6
        assert sniff(xlam).format == "xlam" and sniff(sharegpt).format == "sharegpt"
        tracemalloc.start()
        sniff_s = _best(lambda: (sniff(xlam), sniff(sharegpt)))
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        read_s = _best(lambda: (xlam.read_bytes(), sharegpt.read_bytes()), repeat=3)
    print(
        f"sniff_speed rows={args.rows} mb={mb:.0f} sniff_ms={sniff_s * 1000:.2f} read_ms={read_s * 1000:.1f} "
        f"ratio={sniff_s / read_s:.4f} seconds={time.perf_counter() - start:.1f} peak_mb={peak:.1f}"
    )


if __name__ == "__main__":
    main()
