"""LLM calls per second through fcstudio's client (cache lookups and the call log included) at fixed latency.

A local OpenAI-protocol server, in its own process as a real endpoint would be, answers every chat request
after a fixed delay (200 ms by default). At concurrency C the ideal is C / latency calls per second; the
ratio is measured / ideal. Every request is distinct, so none is served from the cache, and every answer is
cached and every call logged to a workspace, as in a real job.

    python benchmarks/synth_throughput.py [--latency 0.2] [--calls 800]

Ends with one line: ``synth_throughput c1=... c8=... c32=... ratio=... seconds=...``.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fcstudio.llm import LLMClient, LLMConfig, run_async  # noqa: E402
from fcstudio.store import Workspace, transaction  # noqa: E402


async def _burst(client: LLMClient, n: int, tag: str) -> None:
    await asyncio.gather(*(client.chat([{"role": "user", "content": f"{tag} {i}"}], purpose="bench") for i in range(n)))


def measure(base_url: str, ws: Workspace, concurrency: int, calls: int) -> float:
    with ws.connect() as con:
        client = LLMClient(LLMConfig(model="bench", base_url=base_url, concurrency=concurrency), con)
        start = time.perf_counter()
        run_async(_burst(client, calls, f"c{concurrency}"), client)
        elapsed = time.perf_counter() - start
        with transaction(con):
            client.flush()
    return calls / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--calls", type=int, default=800, help="most calls per level (about 5 s of ideal time)")
    args = parser.parse_args()
    began = time.perf_counter()
    results = {}
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "openai_stub.py"), "--latency", str(args.latency)],
        stdout=subprocess.PIPE,
        text=True,
    )
    base_url = server.stdout.readline().strip()  # type: ignore[union-attr]
    try:
        tmp = tempfile.mkdtemp()
        ws = Workspace(Path(tmp) / "bench.duckdb")
        ws = Workspace(Path(tmp) / "bench.duckdb")
        for c in (1, 8, 32):
            n = max(2 * c, min(args.calls, int(c / args.latency * 5)))  # about five seconds per level
            rate = measure(base_url, ws, c, n)
            ideal = c / args.latency
            results[c] = (rate, ideal)
            print(f"concurrency {c:>2}: {n} calls, {rate:.1f} calls/s, ideal {ideal:.1f}, ratio {rate / ideal:.3f}")
    finally:
        server.kill()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    seconds = time.perf_counter() - began
    r = {c: rate / ideal for c, (rate, ideal) in results.items()}
    print(
        f"synth_throughput latency_ms={args.latency * 1000:.0f} c1={results[1][0]:.2f} c8={results[8][0]:.2f} "
        f"c32={results[32][0]:.2f} ratio_c1={r[1]:.3f} ratio_c8={r[8]:.3f} ratio={r[32]:.3f} seconds={seconds:.1f}"
    )


if __name__ == "__main__":
    main()
