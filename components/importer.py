"""Upload-and-import, with the same error reporting as the CLI and a progress bar.

After an import the uploader is emptied (its key changes), so a file that failed does not go in again with the
next upload; what happened stays on the panel until the next import.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import streamlit as st

from components.auth import can_admin
from components.db import cursor
from components.layout import describe_error
from fcstudio.catalog.formats import AUTO, FORMATS
from fcstudio.catalog.formats.sniff import group_files
from fcstudio.catalog.ingest import ImportRun, import_each

Report = list[tuple[str, str]]  # (level: caption | info | success | warning | error, markdown)


def import_panel(key: str = "importer") -> None:
    """A file uploader + format picker; each uploaded file is imported in its own transaction.

    Importing is for admins: an annotator of a shared workspace is not shown the panel at all.
    """
    if not can_admin():
        return
    with st.expander("Import files", expanded=bool(st.session_state.get(f"{key}_report"))):
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
        nonce = int(st.session_state.get(f"{key}_nonce", 0))
        files = st.file_uploader("Files", accept_multiple_files=True, key=f"{key}_files_{nonce}")
        go = st.button("Import", type="primary", disabled=not files, key=f"{key}_go")
        if go and files:
            st.session_state[f"{key}_report"] = _import(files, fmt, dataset.strip() or None)
            st.session_state[f"{key}_nonce"] = nonce + 1  # a new, empty uploader on the rerun
            st.rerun()
        show_report(st.session_state.get(f"{key}_report") or [])


def show_report(report: Report) -> None:
    for level, text in report:
        getattr(st, level)(text)


def _import(files: list[Any], fmt: str, dataset: str | None) -> Report:
    report: Report = []
    bar = st.progress(0.0, text="Starting import…")
    with tempfile.TemporaryDirectory(prefix="fcstudio-upload-") as tmp:
        paths, names = [], []
        for i, f in enumerate(files):
            name = Path(f.name).name
            folder = Path(tmp) / str(i)  # one folder per upload: two uploads may share a name
            folder.mkdir()
            (folder / name).write_bytes(f.getvalue())
            paths.append(str(folder / name))
            names.append(name)
        label_of = dict(zip(paths, names, strict=True))
        grouping = group_files(fmt, paths)
        for path, found in grouping.chosen:
            report.append(("caption", f"**{label_of[path]}**: format `{found.format}` ({found.reason})"))
        for path, why in grouping.companions:
            report.append(("info", f"**{label_of[path]}** skipped: {why}; import its question file from the CLI."))
        for path, error in grouping.unfit:
            report.append(("error", f"Could not import **{label_of[path]}**: {error.replace(path, label_of[path])}"))
        try:
            with cursor() as con:
                for group_fmt, group_paths in grouping.groups.items():
                    run = import_each(
                        con,
                        group_fmt,
                        group_paths,
                        dataset=dataset,
                        labels=[label_of[p] for p in group_paths],
                        progress=lambda frac, label: bar.progress(min(frac, 1.0), text=label),
                    )
                    report.extend(_run_report(run))
        except Exception as exc:
            report.append(("error", f"Could not import: {describe_error(exc, label_of)}"))
    bar.empty()
    return report


def _run_report(run: ImportRun) -> Report:
    """Each file's outcome, as the CLI prints it."""
    out: Report = []
    for r in run.results:
        out.append(("info" if r.skipped else "success", f"**{Path(r.path).name}**: {r.message}"))
        if r.warnings:
            out.append(("warning", f"{len(r.warnings)} warning(s); first: {r.warnings[0]}"))
    nothing = not any(not r.skipped for r in run.results)
    for failure in run.failures:
        after = (
            "Nothing was imported; the workspace is unchanged."
            if nothing
            else "Nothing from this file was imported; the other files were."
        )
        out.append(("error", f"Could not import **{failure.label}**: `{failure.error}`\n\n{after}"))
    if run.total > 1 and run.failures:
        out.append(("caption", run.summary()))
    return out
