"""Graph build at ToolBench scale: a generated catalogue of N tools (default 16,000) with realistic names,
descriptions, parameters and (for most tools) return schemas, imported into a fresh workspace, then
``fcstudio graph build`` (TF-IDF embedder) timed with its peak memory, against the floor measured in
the same run on the same vectors: one blocked matrix product of all fields against all parameters
plus the top-k selection, nothing else.

    python benchmarks/graph_build.py --tools 16000

Last line: ``graph_build tools=... fields=... edges=... seconds=... floor_seconds=... ratio=... peak_mb=...``
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fcstudio.catalog.ingest import import_files
from fcstudio.graph.build import build_graph, load_tools, tool_fields
from fcstudio.graph.embed import TfidfEmbedder
from fcstudio.store import Workspace

CATEGORIES = {
    "Weather": ["forecast", "weather", "air_quality", "uv_index", "storm_alert", "temperature"],
    "Travel": ["flight", "hotel", "airport", "booking", "itinerary", "car_rental", "visa_requirement"],
    "Finance": ["stock_quote", "exchange_rate", "crypto_price", "portfolio", "invoice", "tax_rate"],
    "Sports": ["match", "team", "player_stats", "league_table", "fixture", "odds"],
    "Food": ["recipe", "restaurant", "nutrition", "menu", "ingredient", "delivery_order"],
    "Music": ["song", "artist", "album", "playlist", "lyrics", "concert"],
    "Maps": ["geocode", "route", "distance", "place", "timezone", "traffic"],
    "Commerce": ["product", "order", "cart", "review", "shipment", "coupon"],
    "Social": ["post", "follower", "comment", "profile", "hashtag", "message"],
    "Data": ["dataset", "record", "report", "metric", "dashboard", "query"],
}
VERBS = [
    "get",
    "search",
    "list",
    "fetch",
    "create",
    "update",
    "delete",
    "lookup",
    "calculate",
    "convert",
    "validate",
    "track",
]
PARAMS = [
    ("city", "string", "Name of the city, e.g. 'Lisbon'."),
    ("location", "string", "Place name or address to look up."),
    ("destination", "string", "Where the trip or route ends."),
    ("origin", "string", "Where the trip or route starts."),
    ("date", "string", "Date in YYYY-MM-DD format."),
    ("start_date", "string", "First day of the period, YYYY-MM-DD."),
    ("end_date", "string", "Last day of the period, YYYY-MM-DD."),
    ("user_id", "string", "Identifier of the account."),
    ("query", "string", "Free-text search terms."),
    ("limit", "integer", "Maximum number of results to return."),
    ("page", "integer", "Page number of the results."),
    ("currency", "string", "ISO 4217 currency code such as 'EUR'."),
    ("amount", "number", "Amount of money."),
    ("symbol", "string", "Ticker symbol of the security."),
    ("latitude", "number", "Latitude in decimal degrees."),
    ("longitude", "number", "Longitude in decimal degrees."),
    ("language", "string", "Two-letter language code."),
    ("team_id", "string", "Identifier of the team."),
    ("order_id", "string", "Identifier of the order."),
    ("product_id", "string", "Identifier of the product."),
    ("email", "string", "Email address of the user."),
    ("category", "string", "Category to filter by."),
]
RETURNS = [
    ("id", "string", "Identifier of the {noun}."),
    ("name", "string", "Name of the {noun}."),
    ("location", "string", "Where the {noun} is located."),
    ("date", "string", "Date of the {noun}."),
    ("price", "number", "Price of the {noun} in the given currency."),
    ("url", "string", "Link to the {noun}."),
    ("status", "string", "Current status of the {noun}."),
    ("city", "string", "City of the {noun}."),
    ("user_id", "string", "Account that owns the {noun}."),
    ("latitude", "number", "Latitude of the {noun}."),
]


PARAM_PATTERNS = [
    ("{noun}_id", "string", "Identifier of the {noun_text}, as returned by the search endpoint."),
    ("{noun}Id", "string", "Unique id of the {noun_text}."),
    ("{noun}_name", "string", "Name of the {noun_text} to look up."),
    ("max_{noun}s", "integer", "Maximum number of {noun_text} records to return."),
    ("{noun}_type", "string", "Kind of {noun_text}, e.g. 'standard' or 'premium'."),
    ("include_{noun}_details", "boolean", "Whether to include the full {noun_text} details."),
    ("{noun}_date", "string", "Date of the {noun_text} (YYYY-MM-DD)."),
    ("sort_{noun}_by", "string", "Field the {noun_text} list is sorted by."),
]
RETURN_PATTERNS = [
    ("{noun}_id", "string", "Identifier of the {noun_text}."),
    ("{noun}_url", "string", "Public link to the {noun_text} page."),
    ("{noun}_status", "string", "Current status of the {noun_text}."),
    ("total_{noun}s", "integer", "How many {noun_text} records matched."),
]


def make_catalogue(n: int, seed: int = 3) -> list[dict]:
    """ToolBench-like tools: category vocabulary, shared generic parameters and noun-specific ones."""
    rng = random.Random(seed)
    tools = []
    for i in range(n):
        category = rng.choice(list(CATEGORIES))
        noun = rng.choice(CATEGORIES[category])
        provider = f"{rng.choice(['open', 'fast', 'global', 'smart', 'daily', 'pro', 'live', 'easy'])}{rng.choice(['api', 'hub', 'data', 'cloud', 'io'])}"
        verb = rng.choice(VERBS)
        noun_text = noun.replace("_", " ")
        props = {p: {"type": t, "description": d} for p, t, d in rng.sample(PARAMS, rng.randint(0, 2))}
        for name, t, d in rng.sample(PARAM_PATTERNS, rng.randint(1, 3)):
            props[name.format(noun=noun if "_" in name else noun.replace("_", ""))] = {
                "type": t,
                "description": d.format(noun_text=noun_text),
            }
        entry = {
            "type": "function",
            "function": {
                "name": f"{verb}_{noun}_{provider}_{i}",
                "description": f"{verb.capitalize()} {noun_text} information using the {provider} {category.lower()} service.",
                "parameters": {"type": "object", "properties": props, "required": list(props)[:1]},
            },
            "labels": [category],
        }
        if rng.random() < 0.7:
            fields = {
                r: {"type": t, "description": d.format(noun=noun_text)}
                for r, t, d in rng.sample(RETURNS, rng.randint(1, 3))
            }
            for name, t, d in rng.sample(RETURN_PATTERNS, rng.randint(0, 2)):
                fields[name.format(noun=noun)] = {"type": t, "description": d.format(noun_text=noun_text)}
            entry["function"]["returns"] = {"type": "object", "properties": fields}
        tools.append(entry)
    return tools


def peak_mb() -> float:
    """Peak resident memory of this process so far (the build is the largest step)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def floor_seconds(vectors, params_idx: np.ndarray, top_k: int, threshold: float, block: int = 4096) -> float:
    """One product of every field against every parameter, block by block, plus the thresholded top-k."""
    p = vectors[params_idx].T.tocsc()
    t0 = time.perf_counter()
    for start in range(0, vectors.shape[0], block):
        sims = (vectors[start : start + block] @ p).tocsr()
        rows = np.repeat(np.arange(sims.shape[0]), np.diff(sims.indptr))
        hit = sims.data >= threshold
        r, scores = rows[hit], sims.data[hit]
        order = np.argsort(r.astype(np.float64) * 2.0 + (1.0 - np.clip(scores, 0.0, 1.0)), kind="stable")
        r = r[order]
        first = np.r_[0, np.flatnonzero(np.diff(r)) + 1]
        rank = np.arange(len(r)) - np.repeat(first, np.diff(np.r_[first, len(r)]))
        order[rank < top_k]
    return time.perf_counter() - t0


def import_catalogue(con: duckdb.DuckDBPyConnection, folder: Path, n: int) -> None:
    """A generated catalogue of ``n`` tools, written under ``folder`` and imported (the set-up every graph
    benchmark shares)."""
    catalogue = folder / "catalogue.json"
    catalogue.write_text(json.dumps(make_catalogue(n)))
    import_files(con, "openai-tools", [catalogue])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tools", type=int, default=16_000)
    ap.add_argument("--top-k", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="fcstudio-graph-") as tmp:
        ws = Workspace(Path(tmp) / "ws.duckdb")
        with ws.connect() as con:
            import_catalogue(con, Path(tmp), args.tools)
            tools = load_tools(con)
            fields = tool_fields(tools)
            t0 = time.perf_counter()
            summary = build_graph(con, TfidfEmbedder(), threshold=0.4, top_k=args.top_k)
            seconds = time.perf_counter() - t0
        print(
            f"built graph over {summary['nodes']:,} tools, {len(fields):,} fields: {summary['edges']:,} edges {summary['by_kind']} in {seconds:.1f}s"
        )
        vectors = TfidfEmbedder().encode([f.text for f in fields])
        params_idx = np.array([i for i, f in enumerate(fields) if f.kind == "param"])
        floor = floor_seconds(vectors, params_idx, args.top_k, 0.4)
        print(f"floor (one product of all fields x parameters + thresholded top-k, same vectors): {floor:.1f}s")
    print(
        f"graph_build tools={args.tools} fields={len(fields)} edges={summary['edges']} seconds={seconds:.1f} "
        f"floor_seconds={floor:.1f} ratio={seconds / floor:.2f} peak_mb={peak_mb():.0f}"
    )


if __name__ == "__main__":
    main()
