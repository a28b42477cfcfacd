"""Upload-and-import, with the same error reporting as the CLI and a progress bar."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from components.db import cursor
from components.layout import show_error
from fcstudio.catalog.formats import AUTO, FORMATS
from fcstudio.catalog.formats.sniff import group_files
from fcstudio.catalog.ingest import ImportRun, import_each


def import_panel(key: str = "importer") -> None:
    """A file uploader + format picker; each uploaded file is imported in its own transaction."""
    with st.expander("Import files", expanded=False):
        st.caption(
            "Each file is its own unit: a bad file imports nothing and says where it went wrong, the others are "
            "imported. A file imported before is skipped. BFCL gold answers and multi-turn docs are read from "
            "`possible_answer/` and `multi_turn_func_doc/` beside the file, so import those from the CLI."
        )
        c1, c2 = st.columns([1, 1])
        fmt = c1.selectbox(
            "Format",
            [AUTO, *FORMATS],
            key=f"{key}_format",
            format_func=lambda f: (
                "auto — tell each file's format from its first record" if f == AUTO else f"{f} — {FORMATS[f].summary}"
            ),
        )
        dataset = c2.text_input("Dataset", value="", placeholder=f"default: {fmt}", key=f"{key}_dataset")
        files = st.file_uploader("Files", accept_multiple_files=True, key=f"{key}_files")
        if not st.button("Import", type="primary", disabled=not files, key=f"{key}_go"):
            return
        bar = st.progress(0.0, text="Starting import…")
        with tempfile.TemporaryDirectory(prefix="fcstudio-upload-") as tmp:
            paths, names = [], []
            for i, f in enumerate(files or []):
                name = Path(f.name).name
                folder = Path(tmp) / str(i)  # one folder per upload: two uploads may share a name
                folder.mkdir()
                (folder / name).write_bytes(f.getvalue())
                paths.append(str(folder / name))
                names.append(name)
            label_of = dict(zip(paths, names, strict=True))
            grouping = group_files(fmt, paths)
            for path, found in grouping.chosen:
                st.caption(f"**{label_of[path]}**: format `{found.format}` ({found.reason})")
            for path, why in grouping.companions:
                st.info(f"**{label_of[path]}** skipped: {why}; upload the question file and import from the CLI.")
            for path, error in grouping.unfit:
                st.error(f"Could not import **{label_of[path]}**: {error.replace(path, label_of[path])}")
            runs = []
            try:
                with cursor() as con:
                    for group_fmt, group_paths in grouping.groups.items():
                        runs.append(
                            import_each(
                                con,
                                group_fmt,
                                group_paths,
                                dataset=dataset.strip() or None,
                                labels=[label_of[p] for p in group_paths],
                                progress=lambda frac, label: bar.progress(min(frac, 1.0), text=label),
                            )
                        )
            except Exception as exc:
                bar.empty()
                show_error(exc, "import")
                return
        bar.empty()
        for run in runs:
            _show_run(run)


def _show_run(run: ImportRun) -> None:
    """Each file's outcome, as the CLI prints it."""
    for r in run.results:
        text = f"**{Path(r.path).name}**: {r.message}"
        (st.info if r.skipped else st.success)(text)
        if r.warnings:
            st.warning(f"{len(r.warnings)} warning(s); first: {r.warnings[0]}")
    nothing = not any(not r.skipped for r in run.results)
    for failure in run.failures:
        after = (
            "Nothing was imported; the workspace is unchanged."
            if nothing
            else "Nothing from this file was imported; the other files were."
        )
        st.error(f"Could not import **{failure.label}**: `{failure.error}`\n\n{after}")
    if run.total > 1 and run.failures:
        st.caption(run.summary())
