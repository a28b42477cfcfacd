"""MAGNET's sampling: a random walk over the graph's dependency edges, one call per turn, each call's argument
fed by its predecessor's output where the edge says so. Reads only the ``WalkIndex``, so a path costs the same
whatever the catalogue's size."""

from __future__ import annotations

import random

from fcstudio.paths.fsp import FSP, ArgSource, Call, PathError, Turn, _checked
from fcstudio.paths.index import WalkIndex


def _call(index: WalkIndex, tool_id: str) -> Call:
    return Call(tool_id=tool_id, name=index.name(tool_id), args={p: ArgSource() for p in index.required_of(tool_id)})


def random_walk_path(
    index: WalkIndex,
    *,
    steps: int,
    rng: random.Random,
    start: str | None = None,
    label: str | None = None,
) -> FSP:
    """MAGNET's sampling: from a start node, ``steps`` moves uniform over outgoing dependency edges, one call per turn.

    The start is drawn uniformly from the index's sorted start candidates (of ``label``), so the cost of a
    path does not depend on the size of the graph.
    """
    candidates = index.start_candidates(label)
    if not candidates:
        raise PathError("the graph has no node to start from")
    node = start if start is not None else rng.choice(candidates)
    if node not in index:
        raise PathError(f"unknown start tool {node}")
    walk = [node]
    for _ in range(steps):
        nxt = index.successors_of(walk[-1])
        if not nxt:
            break
        walk.append(rng.choice(nxt))
    fsp = FSP()
    for i, tool in enumerate(walk):
        call = _call(index, tool)
        if i:
            link = index.link(walk[i - 1], tool)
            if link:
                field, param = link
                call.args[param] = ArgSource(kind="output", turn=i - 1, call=0, field=field)
        fsp.turns.append(Turn(calls=[call]))
    return _checked(fsp, {"op": "sample", "start": node, "steps": steps, "walk": walk, "label": label})
