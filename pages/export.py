"""Export: write SFT, DPO or multi-turn DPO training sets from the reviewed data, and see what went in."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import plotly.express as px
import streamlit as st

from components.auth import admin_only
from components.db import current_workspace_path, cursor
from components.layout import page_header, show_error
from fcstudio.prefs.export import FORMATS, KINDS, export, export_counts

page_header(
    "Export",
    "Training sets a trainer can load: SFT conversations (OpenAI messages + tools), DPO pairs in TRL's "
    "conversational preference format (prompt / chosen / rejected / tools), and multi-turn DPO with every "
    "labelled turn of a conversation. Only reviewed data goes out unless you include everything that passed checks.",
)

with cursor() as con:
    counts = export_counts(con)
m = st.columns(4)
m[0].metric("Accepted trajectories", counts["sft"])
m[1].metric("…plus verified", counts["sft_all"])
m[2].metric("Labelled pairs", counts["dpo"])
m[3].metric("…plus unlabelled", counts["dpo_all"])
if not counts["sft_all"] and not counts["dpo_all"]:
    st.info(
        "**Nothing to export yet.**\n\n- Accept trajectories on the **Trajectories** page.\n"
        "- Label pairs on the **Preferences** page."
    )
if not admin_only("export training sets (it writes files on the server)"):
    st.stop()

with st.form("export_form"):
    c = st.columns([1, 1, 1, 3])
    kind = c[0].selectbox("Dataset", KINDS)
    fmt = c[1].selectbox("Format", FORMATS)
    include_all = c[2].checkbox("Include unreviewed", help="also what passed verification but was not reviewed")
    folder = c[3].text_input("Folder", value=str(current_workspace_path().parent / "exports"))
    go = st.form_submit_button("Export", type="primary")

if go:
    target = Path(folder).expanduser() / f"{kind}{'_all' if include_all else ''}.{fmt}"
    try:
        with st.spinner("Writing…"), cursor() as con:
            result = export(con, kind, target, fmt=fmt, include_all=include_all)
        st.session_state["last_export"] = result
    except Exception as exc:
        show_error(exc, "export")

last = st.session_state.get("last_export")
if last:
    st.success(f"Wrote {last['rows']} rows to `{last['path']}`.")
    if stale := last.get("skipped_stale"):
        listed = "\n".join(f"- {reason}" for reason in stale[:10]) + ("\n- …" if len(stale) > 10 else "")
        st.warning(
            f"Left out {len(stale)} trajectories whose replies quote a tool result that changed; regenerate or "
            f"edit them on the **Trajectories** page:\n\n{listed}"
        )
    stats = {k: v for k, v in last.items() if k not in ("path", "kind", "format", "skipped_stale")}
    charts = {k: v for k, v in stats.items() if isinstance(v, dict) and v}
    cols = st.columns(max(1, len(charts)))
    for col, (name, values) in zip(cols, charts.items(), strict=False):
        frame = pd.DataFrame({"value": list(values), "rows": list(values.values())})
        col.plotly_chart(px.bar(frame, x="value", y="rows", title=name.replace("_", " "), height=280))
    st.json({k: v for k, v in stats.items() if not isinstance(v, dict)})
    path = Path(last["path"])
    if path.is_file():
        data = path.read_bytes()
        st.download_button("Download", data, file_name=path.name, key="export_download")
        if last["format"] == "jsonl" and data:
            st.markdown("First row")
            st.json(json.loads(data.split(b"\n", 1)[0]), expanded=False)
