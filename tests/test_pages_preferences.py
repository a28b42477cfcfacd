"""The Preferences page through AppTest: the difference between the sides marked (in shown order, sides still
randomised), single-turn marks stored on the machine's side, trivial pairs flagged and filtered, the
annotator's name kept across pages; the diff's HTML escapes what it shows."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components.pair_diff import side_html
from conftest import copy_workspace, no_errors, open_page, synthesised_workspace, template
from fcstudio.prefs.diff import pair_diff
from fcstudio.prefs.labels import left_is_chosen
from fcstudio.prefs.pairs import make_pairs
from fcstudio.store import Workspace, rows, run


def _build(ws: Workspace) -> None:
    synthesised_workspace(ws.path, seed=11)
    with ws.connect() as con:  # one pair of this seed differs only in a returned id: kept, so it is flagged
        made = make_pairs(con, "perturb", annotators=1, seed=1, keep_trivial=True)
        assert made.created


@pytest.fixture
def prefs_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return copy_workspace(template("prefs_pages", _build), tmp_path, monkeypatch)


def _sign(at: AppTest, name: str) -> AppTest:
    at.text_input(key="fcstudio_name_annotator").set_value(name).run()
    no_errors(at)
    return at


def _marks(text: str) -> list[str]:
    """The texts inside the diff's marks of some HTML, in order."""
    return [
        html.unescape(piece.split(">", 1)[1].split("</mark>", 1)[0])
        for piece in text.split('<mark class="fc-diff"')[1:]
    ]


def _marked(at: AppTest) -> list[str]:
    return [m for md in at.markdown for m in _marks(md.value)]


def _words(segments: list[tuple[str, bool]]) -> list[str]:
    return [t for t, marked in segments if marked]


def test_the_difference_is_marked_in_the_order_the_sides_are_shown(prefs_path: Path) -> None:
    at = _sign(open_page("preferences"), "ana")
    pid = int(at.subheader[0].value.split()[1])
    with Workspace(prefs_path).connect() as con:
        pair = rows(con, "SELECT chosen, rejected FROM pairs WHERE id = ?", [pid])[0]
    chosen, rejected = json.loads(pair["chosen"]), json.loads(pair["rejected"])
    left, right = (chosen, rejected) if left_is_chosen(pid, "ana") else (rejected, chosen)
    diff = pair_diff(left, right)
    assert diff.summary()  # a real pair: something differs
    # the page marks what the engine finds, the left column's first: each side's differing words among them
    assert _marked(at) == _marks(side_html(diff, "a")) + _marks(side_html(diff, "b"))
    for word in _words(diff.text_a) + _words(diff.text_b):
        assert any(word.strip() in m for m in _marked(at)), word
    assert at.get("expander")  # the sides are still drawn in full below

    # an annotator who is shown the sides the other way round sees the marks the other way round
    other = next(n for n in ("ben", "cai", "dan", "eve", "fay") if left_is_chosen(pid, n) != left_is_chosen(pid, "ana"))
    at2 = _sign(open_page("preferences"), other)
    assert int(at2.subheader[0].value.split()[1]) == pid
    flipped = pair_diff(right, left)
    assert _marked(at2) == _marks(side_html(flipped, "a")) + _marks(side_html(flipped, "b"))


def test_single_turn_marks_are_stored_on_the_machines_side(prefs_path: Path) -> None:
    at = _sign(open_page("preferences"), "ana")
    pid = int(at.subheader[0].value.split()[1])
    left_chosen = left_is_chosen(pid, "ana")
    ws = Workspace(prefs_path)
    with ws.connect() as con:
        right_side = "rejected" if left_chosen else "chosen"
        right = json.loads(rows(con, f"SELECT {right_side} FROM pairs WHERE id = ?", [pid])[0][right_side])
    last = max(i for i, m in enumerate(right) if m["role"] == "assistant")
    at.segmented_control(key=f"turn_{pid}_R_{last}").set_value("bad").run()
    at.text_input(key=f"turn_{pid}_R_{last}_why").set_value("misquotes the result").run()
    at.button(key=f"pick_left_{pid}").click().run()
    no_errors(at)
    assert at.success[0].value == f"Pair {pid} labelled."
    with ws.connect() as con:
        label = rows(con, "SELECT annotator, choice FROM pair_labels WHERE pair_id = ?", [pid])
        marks = rows(
            con, "SELECT side, message, label, reason, annotator FROM pair_turn_labels WHERE pair_id = ?", [pid]
        )
    assert label == [{"annotator": "ana", "choice": "chosen" if left_chosen else "rejected"}]
    assert marks == [
        {"side": right_side, "message": last, "label": "bad", "reason": "misquotes the result", "annotator": "ana"}
    ]


def test_trivial_pairs_are_flagged_left_out_of_the_queue_and_filterable(prefs_path: Path) -> None:
    ws = Workspace(prefs_path)
    with ws.connect() as con:
        trivial = [r["id"] for r in rows(con, "SELECT id FROM pairs WHERE trivial")]
        total = len(rows(con, "SELECT id FROM pairs"))
    assert len(trivial) == 1 and total > 1
    at = open_page("preferences")
    at.segmented_control(key="pairs_filter").set_value("trivial").run()
    assert at.dataframe[0].value["id"].tolist() == trivial
    at.segmented_control(key="pairs_filter").set_value("not trivial").run()
    assert len(at.dataframe[0].value) == total - 1 and trivial[0] not in at.dataframe[0].value["id"].tolist()

    with ws.connect() as con:  # only the trivial pair left to label
        run(con, "DELETE FROM pairs WHERE NOT trivial")
    at = _sign(open_page("preferences"), "ana")
    assert not at.subheader and "Nothing left for ana" in at.success[0].value
    at.toggle(key="with_trivial").set_value(True).run()
    no_errors(at)
    assert at.subheader[0].value == f"Pair {trivial[0]}"
    assert any("**trivial**" in c.value for c in at.caption)


def test_the_typed_name_is_kept_across_pages(prefs_path: Path) -> None:
    at = _sign(open_page("preferences"), "ana")
    assert at.subheader  # labelling started
    at.switch_page("pages/catalog.py").run()
    no_errors(at)
    at.switch_page("pages/preferences.py").run()
    no_errors(at)
    assert at.text_input(key="fcstudio_name_annotator").value == "ana"
    assert at.subheader and at.subheader[0].value.startswith("Pair ")


def test_the_diff_html_escapes_what_it_shows() -> None:
    a = [{"role": "assistant", "content": "ok <script>alert(1)</script> & done"}]
    b = [
        {
            "role": "assistant",
            "content": "ok <img src=x onerror=alert(2)> & done",
            "tool_calls": [
                {"id": "c", "type": "function", "function": {"name": "<b>x</b>", "arguments": '{"q": "<i>"}'}}
            ],
        }
    ]
    diff = pair_diff(a, b)
    for side in ("a", "b"):
        out = side_html(diff, side)
        assert "<script" not in out and "<img" not in out and "<b>x" not in out and "<i>" not in out
        assert "\n\n" not in out  # one HTML block: markdown never splits it
    shown = {side: html.unescape(re.sub(r"<[^>]+>", "", side_html(diff, side))) for side in ("a", "b")}
    assert a[0]["content"] in shown["a"] and b[0]["content"] in shown["b"]  # the text itself, escaped, intact
    assert '<mark class="fc-diff"' in side_html(diff, "b") and "&lt;b&gt;x&lt;/b&gt;" in side_html(diff, "b")


@pytest.fixture
def synthesised_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = synthesised_workspace(tmp_path / "synth.duckdb", seed=11).path
    monkeypatch.setenv("FCSTUDIO_WORKSPACE", str(path))
    return path


def test_making_pairs_on_the_page_reports_the_trivial_ones_skipped(synthesised_path: Path) -> None:
    at = open_page("preferences")
    seed = next(n for n in at.number_input if n.label == "Seed")
    seed.set_value(1)
    next(b for b in at.button if b.label == "Make pairs").click().run()
    no_errors(at)
    with Workspace(synthesised_path).connect() as con:
        stored = rows(con, "SELECT count(*) AS n, count(*) FILTER (WHERE trivial) AS trivial FROM pairs")[0]
    assert stored["n"] > 0 and stored["trivial"] == 0
    assert f"{stored['n']} pairs made" in at.success[0].value
    assert "1 differed only in a returned id (skipped as trivial)" in at.success[0].value
