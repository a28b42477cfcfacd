"""`import auto`: each file's format told from its first record, said as chosen; files no format fits named with the
closest format and what it lacks; and every format's error for a file of another known format says which."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fuzz_files import _base, _serialise

from conftest import FIXTURES, ROOT, run_cli, shared_path
from fcstudio import store
from fcstudio.catalog.formats import FORMATS, FormatError, get_reader
from fcstudio.catalog.formats.sniff import NoFormatFits, sniff
from fcstudio.store import Workspace

OUTSIDE = FIXTURES / "outside"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_is_told_from_its_own_file(fmt: str, tmp_path: Path) -> None:
    name, layout, records = _base(fmt)
    path = tmp_path / name
    path.write_text(_serialise(layout, records), encoding="utf-8")
    assert sniff(path).format == fmt


REAL = [
    (OUTSIDE / "glaive_toolcall_en_demo.head6.json", "sharegpt"),
    (OUTSIDE / "reason_tool_use_demo.head8.jsonl", "openai-chat"),
    (OUTSIDE / "toolbench" / "toolllama" / "toolllama_G1_dfs_sample.json", "toolbench"),
    (OUTSIDE / "toolbench" / "toolbench" / "answer" / "G1_answer" / "10_ChatGPT_DFS_woFilter_w2.json", "toolbench"),
    (FIXTURES / "xlam" / "xlam_sample.jsonl", "xlam"),
    (FIXTURES / "apibench" / "huggingface_train.json", "apibench"),
    (ROOT / "data" / "demo" / "tools.json", "openai-tools"),
    (ROOT / "data" / "demo" / "trajectories.jsonl", "openai-chat"),
]
SHARED = [
    (("bfcl_v4", "BFCL_v4_multi_turn_base.json"), "bfcl"),
    (("bfcl_v4", "BFCL_v4_live_simple.json"), "bfcl"),
    (("bfcl_v4", "multi_turn_func_doc", "vehicle_control.json"), "bfcl"),
    (("tau2", "telecom", "tasks.json"), "tau2-tasks"),
    (("tau_bench_v1", "historical_trajectories", "gpt-4o-airline.json"), "tau2-tasks"),
    (("toolalpaca", "eval_real.json"), "toolalpaca"),
]


@pytest.mark.parametrize(("path", "fmt"), REAL, ids=[p.name for p, _ in REAL])
def test_real_files_are_told_apart(path: Path, fmt: str) -> None:
    assert sniff(path).format == fmt


@pytest.mark.parametrize(("parts", "fmt"), SHARED, ids=[p[-1] for p, _ in SHARED])
def test_public_benchmark_files_are_told_apart(parts: tuple[str, ...], fmt: str) -> None:
    assert sniff(shared_path(*parts)).format == fmt


def test_nothing_fits_names_the_closest_format_and_the_missing_field(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps({"query": "weather in Paris", "tools": []}) + "\n", encoding="utf-8")
    with pytest.raises(
        NoFormatFits, match=r"rows\.jsonl: no known format fits: .*closest is xlam, which needs 'answers'"
    ):
        sniff(path)


def test_files_that_belong_elsewhere_say_where(tmp_path: Path) -> None:
    with pytest.raises(NoFormatFits, match=r"tau2 results file: import it with `eval import tau2-results`"):
        sniff(ROOT / "data" / "demo" / "eval" / "travel_scripted_run.json")
    with pytest.raises(NoFormatFits, match=r"read with the BFCL question file of the same name"):
        sniff(ROOT / "data" / "demo" / "bfcl" / "possible_answer" / "BFCL_v4_demo_travel.json")
    binary = tmp_path / "model.bin"
    binary.write_bytes(b"\x00\x01binary")
    with pytest.raises(NoFormatFits, match=r"not JSON, JSON lines or Parquet"):
        sniff(binary)


def test_only_the_first_record_is_read(tmp_path: Path) -> None:
    """A file whose later records are broken is still told by its first; the import then names the bad line."""
    path = tmp_path / "big.jsonl"
    good = json.dumps({"query": "q", "tools": [], "answers": []})
    path.write_text(good + "\n" + ("{not json\n" * 3), encoding="utf-8")
    assert sniff(path).format == "xlam"
    with pytest.raises(FormatError, match=r"big\.jsonl:2: invalid JSON line"):
        get_reader("xlam")(str(path))


@pytest.mark.parametrize(
    ("asked", "path", "looks_like"),
    [
        ("xlam", FIXTURES / "apibench" / "huggingface_train.json", "apibench"),
        ("bfcl", FIXTURES / "xlam" / "xlam_sample.jsonl", "xlam"),
        ("toolbench", ROOT / "data" / "demo" / "tools.json", "openai-tools"),
        ("sharegpt", OUTSIDE / "toolbench" / "toolllama" / "toolllama_G1_dfs_sample.json", "toolbench"),
        ("openai-chat", OUTSIDE / "glaive_toolcall_en_demo.head6.json", "sharegpt"),
        (
            "apibench",
            OUTSIDE / "toolbench" / "toolbench" / "answer" / "G1_answer" / "10_ChatGPT_DFS_woFilter_w2.json",
            "toolbench",
        ),
    ],
)
def test_the_error_for_a_file_of_another_format_names_it(asked: str, path: Path, looks_like: str) -> None:
    with pytest.raises(FormatError) as info:
        get_reader(asked)(str(path))
    assert f"'{looks_like}'" in str(info.value), str(info.value)


def test_cli_import_auto_on_a_folder_says_each_choice_and_goes_on(tmp_path: Path, ws: Workspace) -> None:
    folder = tmp_path / "mixed"
    (folder / "chat").mkdir(parents=True)
    shutil.copy(OUTSIDE / "glaive_toolcall_en_demo.head6.json", folder / "chat")
    shutil.copy(FIXTURES / "xlam" / "xlam_sample.jsonl", folder)
    shutil.copy(OUTSIDE / "toolbench" / "toolllama" / "toolllama_G1_dfs_sample.json", folder)
    (folder / "notes.json").write_text(json.dumps({"query": "q", "tools": []}), encoding="utf-8")
    (folder / "README.md").write_text("not data", encoding="utf-8")
    result = run_cli("import", "auto", str(folder), workspace=ws.path)
    assert result.returncode == 1  # one file fits no format
    assert "glaive_toolcall_en_demo.head6.json: format sharegpt" in result.stdout
    assert "xlam_sample.jsonl: format xlam" in result.stdout
    assert "toolllama_G1_dfs_sample.json: format toolbench" in result.stdout
    assert (
        "notes.json: no known format fits" in result.stderr
        and "closest is xlam, which needs 'answers'" in result.stderr
    )
    assert "README.md" not in result.stdout + result.stderr
    with ws.connect() as con:
        datasets = dict(con.execute("SELECT dataset, count(*) FROM trajectories GROUP BY dataset").fetchall())
        assert datasets["sharegpt"] == 6 and datasets["toolbench"] == 2 and datasets["xlam"] > 0
        assert store.scalar(con, "SELECT count(*) FROM imports") == 3


def test_cli_import_of_an_empty_folder_says_so(tmp_path: Path, ws: Workspace) -> None:
    (tmp_path / "empty").mkdir()
    result = run_cli("import", "auto", str(tmp_path / "empty"), workspace=ws.path)
    assert result.returncode == 1 and "no data files" in result.stderr


def test_cli_import_auto_skips_the_files_a_question_file_reads(ws: Workspace) -> None:
    result = run_cli("import", "auto", str(ROOT / "data" / "demo" / "bfcl"), workspace=ws.path)
    assert result.returncode == 0, result.stderr
    assert "BFCL_v4_demo_travel.json: format bfcl" in result.stdout
    assert (
        "possible_answer/BFCL_v4_demo_travel.json: skipped, this is read with the BFCL question file" in result.stdout
    )
    with ws.connect() as con:
        assert store.scalar(con, "SELECT count(*) FROM tasks WHERE gold <> '[]'") > 0


def test_atomic_auto_over_several_formats_is_refused(ws: Workspace) -> None:
    result = run_cli(
        "import",
        "auto",
        "--atomic",
        str(OUTSIDE / "glaive_toolcall_en_demo.head6.json"),
        str(FIXTURES / "xlam" / "xlam_sample.jsonl"),
        workspace=ws.path,
    )
    assert result.returncode == 2 and "--atomic imports files of one format" in result.stderr
    with ws.connect() as con:
        assert store.scalar(con, "SELECT count(*) FROM trajectories") == 0
