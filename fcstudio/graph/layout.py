"""Positions for drawing the tool graph: a force-directed layout of the whole graph, computed once at build time
and stored, and a readable layout for one neighbourhood, computed when it is drawn.

The whole-graph layout lays each connected component out, a small one by stress majorization (canvas distances
follow path lengths), a big one with Fruchterman-Reingold (numpy, dense over at most ``sample`` nodes: it is laid
out on its busiest nodes and the rest are placed at the mean of their placed neighbours), then packs the components in rows, biggest first, so structure shows instead of one blob.
Edge length is about 1 in the stored units."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components, shortest_path

LAYOUT_NAME = "force"  # recorded in graph_builds.params: builds before it stored a vector projection instead
STRESS_MAX = 150  # components up to this size get stress majorization (ms each), bigger ones the force step
DEFAULT_SAMPLE = 1200  # nodes of one component laid out by the dense force step (about 1 s at 10k tools)


def _fruchterman_reingold(
    adjacency: sparse.csr_matrix, start: np.ndarray, iterations: int, rng: np.random.Generator
) -> np.ndarray:
    """Dense Fruchterman-Reingold with ideal edge length 1: every pair repels, every edge attracts."""
    pos = start.astype(np.float32)
    n = len(pos)
    if n < 2:
        return pos
    coo = adjacency.tocoo()
    src, dst = coo.row, coo.col
    temperature = max(float(np.ptp(pos, axis=0).max()), math.sqrt(n)) / 10
    cooling = temperature / (iterations + 1)
    for _ in range(iterations):
        dx = pos[:, None, 0] - pos[None, :, 0]
        dy = pos[:, None, 1] - pos[None, :, 1]
        inv = dx * dx + dy * dy
        np.fill_diagonal(inv, 1.0)
        np.maximum(inv, 1e-4, out=inv)
        np.reciprocal(inv, out=inv)
        # repulsion k^2 / d along the unit vector, i.e. delta / d^2 (k = 1)
        force = np.column_stack([(dx * inv).sum(axis=1), (dy * inv).sum(axis=1)])
        diff = pos[src] - pos[dst]
        pull = diff * np.sqrt((diff**2).sum(axis=1, keepdims=True)) / 2  # attraction d^2 / k, shared by both ends
        for axis in (0, 1):
            force[:, axis] += np.bincount(dst, pull[:, axis], n) - np.bincount(src, pull[:, axis], n)
        norm = np.sqrt((force**2).sum(axis=1, keepdims=True))
        norm[norm == 0] = 1.0
        pos += force / norm * np.minimum(norm, temperature)
        temperature = max(temperature - cooling, 0.01)
    if not np.isfinite(pos).all():  # never expected; a drawing beats an error
        return start + rng.normal(scale=0.1, size=start.shape)
    return pos.astype(np.float64)


def _stress_layout(adjacency: sparse.csr_matrix, rng: np.random.Generator, iterations: int = 200) -> np.ndarray:
    """Stress majorization (SMACOF, weights 1/d^2): distances on the canvas follow path lengths, the criterion
    of Kamada-Kawai, which spaces a small component evenly where Fruchterman-Reingold squeezes a dense core.
    Plain numpy over the component's distance matrix (a few ms for a small one); edge length about 1."""
    n = adjacency.shape[0]
    dist = shortest_path(adjacency, unweighted=True, directed=False)
    weight = np.zeros_like(dist)
    off = ~np.eye(n, dtype=bool)
    weight[off] = dist[off] ** -2.0
    laplacian = -weight
    np.fill_diagonal(laplacian, weight.sum(axis=1))
    inverse = np.linalg.pinv(laplacian)
    pos = rng.uniform(-1, 1, size=(n, 2)) * math.sqrt(n)
    last = np.inf
    for _ in range(iterations):
        diff = pos[:, None, :] - pos[None, :, :]
        length = np.sqrt((diff**2).sum(axis=2))
        np.fill_diagonal(length, 1.0)
        stress = float((weight * (length - dist) ** 2)[off].sum())
        b = -weight * dist / np.maximum(length, 1e-9)
        np.fill_diagonal(b, 0.0)
        np.fill_diagonal(b, -b.sum(axis=1))
        pos = inverse @ (b @ pos)
        if last - stress < 1e-4 * last:  # settled: another round moves nothing one would see
            break
        last = stress
    return pos - pos.mean(axis=0)


def _component_layout(adjacency: sparse.csr_matrix, sample: int, rng: np.random.Generator) -> np.ndarray:
    """Positions of one connected component (ideal edge length 1), centred on the origin."""
    n = adjacency.shape[0]
    if n == 1:
        return np.zeros((1, 2))
    if n == 2:
        return np.array([[-0.5, 0.0], [0.5, 0.0]])
    if n <= STRESS_MAX:
        return _stress_layout(adjacency, rng)
    degree = np.asarray((adjacency > 0).sum(axis=1)).ravel()
    iterations = 80 if n <= 300 else 50
    if n <= sample:
        start = rng.uniform(-1, 1, size=(n, 2)) * math.sqrt(n)
        pos = _fruchterman_reingold(adjacency, start, iterations, rng)
    else:
        core = np.sort(np.argsort(-degree, kind="stable")[:sample])
        start = rng.uniform(-1, 1, size=(len(core), 2)) * math.sqrt(len(core))
        pos = np.zeros((n, 2))
        pos[core] = _fruchterman_reingold(adjacency[core][:, core], start, iterations, rng)
        placed = np.zeros(n, dtype=bool)
        placed[core] = True
        links = (adjacency > 0).astype(np.float64).tocsr()
        while not placed.all():  # breadth-first from the core: each ring at the mean of its placed neighbours
            counts = links @ placed.astype(np.float64)
            ring = np.flatnonzero(~placed & (counts > 0))
            if not len(ring):  # cannot happen in a connected component; place the rest at random if it does
                ring = np.flatnonzero(~placed)
                pos[ring] = rng.uniform(-1, 1, size=(len(ring), 2)) * math.sqrt(n)
            else:
                mean = (links[ring] @ (pos * placed[:, None])) / counts[ring, None]
                angle = rng.uniform(0, 2 * math.pi, size=len(ring))
                pos[ring] = mean + 0.6 * np.column_stack([np.cos(angle), np.sin(angle)])
            placed[ring] = True
    return pos - pos.mean(axis=0)


def _pack(parts: list[np.ndarray], gap: float = 1.5) -> list[np.ndarray]:
    """Shelf packing: components left to right in rows (top down), biggest first, rows about as wide as all
    of it is tall, each component ``gap`` from its neighbours."""
    boxes = [np.ptp(p, axis=0) + gap for p in parts]
    area = sum(float(b[0] * b[1]) for b in boxes)
    width = max(math.sqrt(area) * 1.2, max(float(b[0]) for b in boxes))
    out = []
    x = top = row_height = 0.0
    for part, box in zip(parts, boxes, strict=True):
        if x > 0 and x + box[0] > width:
            x, top, row_height = 0.0, top - row_height, 0.0
        corner = np.array([part[:, 0].min(), part[:, 1].max()])  # top-left of the component's own box
        out.append(part - corner + np.array([x + gap / 2, top - gap / 2]))
        x += float(box[0])
        row_height = max(row_height, float(box[1]))
    return out


def force_layout(
    n: int,
    src: Sequence[int] | np.ndarray,
    dst: Sequence[int] | np.ndarray,
    *,
    sample: int = DEFAULT_SAMPLE,
    seed: int = 0,
) -> np.ndarray:
    """(n x 2) positions for nodes ``0..n-1`` joined by edges ``src[i] -- dst[i]`` (direction ignored).

    Deterministic for a seed; components are laid out separately and packed (isolated tools in the last rows),
    and a component bigger than ``sample`` is laid out on its ``sample`` busiest nodes, the rest placed next
    to their neighbours, so the cost is bounded by the sample, not the catalogue."""
    if n == 0:
        return np.zeros((0, 2))
    s = np.asarray(src, dtype=np.int64)
    d = np.asarray(dst, dtype=np.int64)
    keep = s != d
    s, d = s[keep], d[keep]
    adjacency = sparse.coo_matrix((np.ones(len(s)), (s, d)), shape=(n, n)).tocsr()
    adjacency = ((adjacency + adjacency.T) > 0).astype(np.float64).tocsr()
    count, labels = connected_components(adjacency, directed=False)
    members = _members(labels, count)
    members.sort(key=lambda m: (-len(m), int(m[0])))
    rng = np.random.default_rng(seed)
    parts = [_component_layout(adjacency[m][:, m], sample, rng) for m in members]
    placed = _pack(parts)
    out = np.zeros((n, 2))
    for m, pos in zip(members, placed, strict=True):
        out[m] = pos
    return out - out.mean(axis=0)


def _members(labels: np.ndarray, count: int) -> list[np.ndarray]:
    """Node indices of each component, in one sort (a mask per component would be O(n * components))."""
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(count + 1))
    return [order[bounds[c] : bounds[c + 1]] for c in range(count)]


# -- one neighbourhood, drawn in the browser ----------------------------------------------------------------

LABEL_CHARS = 32  # longer names are cut (with an ellipsis) on the canvas; the tooltip has the full name
CHAR_PX = 0.62  # canvas text width per character, as a fraction of the font size (generous for sans-serif)


def short_label(name: str) -> str:
    """A tool name as drawn on the canvas: at most ``LABEL_CHARS`` characters."""
    return name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1] + "…"


def label_boxes(labels: Sequence[str], sizes: Sequence[float], font_px: float) -> np.ndarray:
    """(n x 4) box of each node drawn as a dot with its label underneath, relative to the dot's centre:
    left, top, right, bottom (canvas pixels, y down), with a few pixels of margin."""
    out = np.zeros((len(labels), 4))
    for i, (label, r) in enumerate(zip(labels, sizes, strict=True)):
        half = max(len(label) * CHAR_PX * font_px, 2 * r) / 2 + 6
        out[i] = (-half, -r - 4, half, r + 6 + 1.3 * font_px)
    return out


def _separate(pos: np.ndarray, boxes: np.ndarray, rounds: int = 400) -> np.ndarray:
    """Push overlapping boxes apart along the axis where they overlap least, until none overlap."""
    pos = pos.copy()
    n = len(pos)
    if n < 2:
        return pos
    upper = np.triu(np.ones((n, n), dtype=bool), 1)
    for _ in range(rounds):
        left, top = pos[:, 0] + boxes[:, 0], pos[:, 1] + boxes[:, 1]
        right, bottom = pos[:, 0] + boxes[:, 2], pos[:, 1] + boxes[:, 3]
        ox = np.minimum(right[:, None], right[None, :]) - np.maximum(left[:, None], left[None, :])
        oy = np.minimum(bottom[:, None], bottom[None, :]) - np.maximum(top[:, None], top[None, :])
        hit = (ox > 0) & (oy > 0) & upper
        if not hit.any():
            break
        i, j = np.nonzero(hit)
        along_x = ox[i, j] < oy[i, j]
        gap = np.where(along_x, ox[i, j], oy[i, j]) / 2 + 0.5
        direction = np.where(along_x, pos[j, 0] - pos[i, 0], pos[j, 1] - pos[i, 1])
        sign = np.where(direction >= 0, 1.0, -1.0)
        sign[direction == 0] = np.where((i + j) % 2 == 0, 1.0, -1.0)[direction == 0]
        push = np.zeros_like(pos)
        axis = np.where(along_x, 0, 1)
        np.add.at(push, (j, axis), sign * gap)
        np.add.at(push, (i, axis), -sign * gap)
        counts = np.bincount(np.r_[i, j], minlength=n).clip(min=1)[:, None]
        pos += push / np.sqrt(counts)
    return pos


def neighbourhood_layout(
    ids: Sequence[str],
    labels: Sequence[str],
    sizes: Sequence[float],
    edges: Sequence[tuple[str, str]],
    *,
    centre: str | None = None,
    font_px: float = 14,
    aspect: float = 1.8,
    seed: int = 0,
) -> dict[str, tuple[float, float]]:
    """Canvas positions (pixels, y down) for a neighbourhood: force-directed, centred on ``centre``, spaced so
        that no two labels overlap at zoom 1 (and so at any zoom: the canvas scales text with the positions), and
    stretched to the canvas's ``aspect`` (width / height) so the fitted view wastes little of it."""
    n = len(ids)
    if n == 0:
        return {}
    index = {tool_id: i for i, tool_id in enumerate(ids)}
    pairs = [(index[a], index[b]) for a, b in edges if a in index and b in index and a != b]
    adjacency = sparse.coo_matrix(
        (np.ones(len(pairs)), ([p[0] for p in pairs], [p[1] for p in pairs])), shape=(n, n)
    ).tocsr()
    adjacency = ((adjacency + adjacency.T) > 0).astype(np.float64).tocsr()
    rng = np.random.default_rng(seed)
    start = rng.uniform(-1, 1, size=(n, 2)) * math.sqrt(n)
    if centre in index:
        start[index[centre]] = 0.0
    small = n <= 300  # the page allows 1,000 nodes: fewer rounds there keep it near a second
    pos = _fruchterman_reingold(adjacency, start, 120 if small else 40, rng).astype(np.float64)
    boxes = label_boxes(labels, sizes, font_px)
    # one unit of the force layout = a typical label's width, so neighbours sit about a label apart
    unit = float(np.median(boxes[:, 2] - boxes[:, 0])) * 0.6
    pos = (pos - (pos[index[centre]] if centre in index else pos.mean(axis=0))) * unit
    pos *= np.array([math.sqrt(aspect), 1 / math.sqrt(aspect)])
    pos = _separate(pos, boxes, rounds=400 if small else 40)
    return {tool_id: (float(pos[i, 0]), float(pos[i, 1])) for i, tool_id in enumerate(ids)}
