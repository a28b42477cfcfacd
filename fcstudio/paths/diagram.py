"""An FSP as a Graphviz DOT diagram: the data flow between calls that lines of text hide.

Turns are lanes (clusters, left to right), calls are boxes (an HTML-like table: the tool's name, one row per
argument, one row per output field a later call reads), and an arrow runs from a producer's output field to
the argument it feeds, so MAGNET's operations show as shapes: merge puts calls in one lane, insert adds a box
whose arrow feeds another, split adds a lane with a withheld argument (red row, "ask the user") or a function
that is not offered (grey dashed box). The Paths page draws it with ``st.graphviz_chart`` (Graphviz WASM in the
browser, no network); ``fcstudio paths show ID --dot`` prints it. Node and edge ids (``fsp-call-T-C``,
``fsp-flow-T-C-T-C-ARG``) carry into the SVG, so a test can find the boxes and arrows.
"""

from __future__ import annotations

import html

from fcstudio.paths.fsp import FSP, ArgSource

LANE = {"normal": "#f5f7fb", "miss_param": "#fdf1f0", "miss_func": "#f2f2f2"}
KIND_WORDS = {"normal": "", "miss_param": " · split: missing parameter", "miss_func": " · split: absent function"}


def _q(text: str) -> str:
    """A DOT double-quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _h(text: object) -> str:
    return html.escape(str(text), quote=True)


def _producer(fsp: FSP, src: ArgSource) -> tuple[int, int] | None:
    """The (turn, call) feeding an output argument, when that call exists."""
    if src.kind != "output" or src.turn is None or src.call is None:
        return None
    if 0 <= src.turn < len(fsp.turns) and 0 <= src.call < len(fsp.turns[src.turn].calls):
        return src.turn, src.call
    return None


def flows(fsp: FSP) -> list[tuple[tuple[int, int], str, tuple[int, int], str]]:
    """Every arrow: (producer turn and call, output field, consumer turn and call, argument), in call order."""
    out = []
    for t, c, call in fsp.calls():
        for arg, src in call.args.items():
            producer = _producer(fsp, src)
            if producer is not None:
                out.append((producer, src.field or arg, (t, c), arg))
    return out


def _source_text(src: ArgSource, fed: bool) -> str:
    if src.kind == "user":
        return "from the user"
    if src.kind == "withheld":
        return "WITHHELD: ask the user"
    where = f"turn {src.turn}.{src.call}" if src.turn is not None and src.call is not None else "no call"
    return f"← {where}" if fed else f"← {where} (missing)"


def fsp_dot(fsp: FSP) -> str:
    """The diagram as DOT text (deterministic: the same path gives the same text)."""
    arrows = flows(fsp)
    fields: dict[tuple[int, int], list[str]] = {}
    for producer, field, _, _ in arrows:
        if field not in fields.setdefault(producer, []):
            fields[producer].append(field)
    removed = set(fsp.removed_tools)
    lines = [
        "digraph fsp {",
        '  graph [rankdir=LR, fontname="Helvetica", fontsize=11, nodesep=0.25, ranksep=0.55, newrank=true];',
        '  node [shape=plain, fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9, color="#3d6bb3", penwidth=1.4, arrowsize=0.7];',
    ]
    for t, turn in enumerate(fsp.turns):
        title = f"Turn {t}{KIND_WORDS[turn.kind]}"
        lines += [
            f"  subgraph cluster_turn_{t} {{",
            f"    id={_q(f'fsp-turn-{t}')}; class={_q('fsp-turn fsp-turn-' + turn.kind)};",
            f'    label={_q(title)}; labeljust="l"; style="rounded,filled"; color="#c3cede"; '
            f"fillcolor={_q(LANE[turn.kind])};",
        ]
        for c, call in enumerate(turn.calls):
            absent = turn.kind == "miss_func"
            head = "#d9d9d9" if absent else "#dce6f6"
            name = _h(call.name) + (" — not offered" if absent else "")
            style = ' STYLE="dashed"' if absent else ""
            rows = [f'<TR><TD PORT="head" BGCOLOR="{head}"><B>{name}</B></TD></TR>']
            for k, (arg, src) in enumerate(call.args.items()):
                fed = _producer(fsp, src) is not None
                colour = "#f8c9c4" if src.kind == "withheld" or (src.kind == "output" and not fed) else "white"
                rows.append(
                    f'<TR><TD PORT="i{k}" ALIGN="LEFT" BGCOLOR="{colour}">{_h(arg)} '
                    f'<FONT COLOR="#666666">{_h(_source_text(src, fed))}</FONT></TD></TR>'
                )
            if not call.args:
                rows.append('<TR><TD ALIGN="LEFT"><FONT COLOR="#666666">no required argument</FONT></TD></TR>')
            for k, field in enumerate(fields.get((t, c), [])):
                rows.append(f'<TR><TD PORT="o{k}" ALIGN="RIGHT" BGCOLOR="#e6f3e6">{_h(field)} →</TD></TR>')
            if call.tool_id in removed and not absent:
                rows.append('<TR><TD ALIGN="LEFT"><FONT COLOR="#666666">offered again after the miss</FONT></TD></TR>')
            table = f'<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="4"{style}>{"".join(rows)}</TABLE>'
            lines.append(
                f"    call_{t}_{c} [id={_q(f'fsp-call-{t}-{c}')}, class={_q('fsp-call')}, "
                f"tooltip={_q(f'turn {t} call {c}: {call.name}')}, label=<{table}>];"
            )
        lines.append("  }")
    for t in range(len(fsp.turns) - 1):  # lanes in turn order, whatever feeds what
        if fsp.turns[t].calls and fsp.turns[t + 1].calls:
            for c in range(len(fsp.turns[t].calls)):
                lines.append(f"  call_{t}_{c} -> call_{t + 1}_0 [style=invis, weight=5];")
    for (pt, pc), field, (t, c), arg in arrows:
        port_out = fields[(pt, pc)].index(field)
        port_in = list(fsp.turns[t].calls[c].args).index(arg)
        name = fsp.turns[pt].calls[pc].name
        lines.append(
            f"  call_{pt}_{pc}:o{port_out}:e -> call_{t}_{c}:i{port_in}:w "
            f"[id={_q(f'fsp-flow-{pt}-{pc}-{t}-{c}-{arg}')}, class={_q('fsp-flow')}, "
            f"tooltip={_q(f'{name}.{field} feeds {fsp.turns[t].calls[c].name}({arg})')}];"
        )
    notes = []
    if fsp.distractor_tools:
        notes.append(f"{len(fsp.distractor_tools)} distracting tools offered")
    if fsp.long_outputs:
        notes.append("long tool outputs")
    if notes:
        lines.append(f'  label={_q(" · ".join(notes))}; labelloc="b";')
    lines.append("}")
    return "\n".join(lines) + "\n"
