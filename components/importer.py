"""Upload-and-import, with the same error reporting as the CLI and a progress bar."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from components.db import cursor
from components.layout import show_error
from fcstudio.formats import IMPORTERS, FormatError
from fcstudio.ingest import import_files


def import_panel(key: str = "importer") -> None:
    """A file uploader + format picker; imports all uploaded files in one transaction."""
    with st.expander("Import files", expanded=False):
        st.caption(
            "One transaction per import: a bad file imports nothing and says where it went wrong. "
            "A file imported before is skipped. BFCL gold answers and multi-turn docs are read from "
            "`possible_answer/` and `multi_turn_func_doc/` beside the file, so import those from the CLI."
        )
        c1, c2 = st.columns([1, 1])
        fmt = c1.selectbox(
            "Format", list(IMPORTERS), key=f"{key}_format", format_func=lambda f: f"{f} — {IMPORTERS[f].SUMMARY}"
        )
        dataset = c2.text_input("Dataset", value="", placeholder=f"default: {fmt}", key=f"{key}_dataset")
        files = st.file_uploader("Files", accept_multiple_files=True, key=f"{key}_files")
        if not st.button("Import", type="primary", disabled=not files, key=f"{key}_go"):
            return
        bar = st.progress(0.0, text="Starting import…")
        with tempfile.TemporaryDirectory(prefix="fcstudio-upload-") as tmp:
            paths = []
            for f in files or []:
                target = Path(tmp) / Path(f.name).name
                target.write_bytes(f.getvalue())
                paths.append(str(target))
            try:
                with cursor() as con:
                    results = import_files(
                        con,
                        fmt,
                        paths,
                        dataset=dataset.strip() or None,
                        progress=lambda frac, label: bar.progress(min(frac, 1.0), text=label.replace(tmp + "/", "")),
                    )
            except FormatError as exc:
                bar.empty()
                exc.path = Path(exc.path).name  # the temporary folder means nothing to the user
                show_error(exc, "import")
                return
            except Exception as exc:
                bar.empty()
                show_error(exc, "import")
                return
        bar.empty()
        for r in results:
            text = f"**{Path(r.path).name}**: {r.message}"
            (st.info if r.skipped else st.success)(text)
            if r.warnings:
                st.warning(f"{len(r.warnings)} warning(s); first: {r.warnings[0]}")
