"""APIBench's `code` layouts on real rows (tests/fixtures/outside/apibench/): the user turn is the instruction only,
never the answer with its gold call; APIs sharing a name but not a schema are told apart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import FIXTURES
from fcstudio.catalog.formats import get_reader
from fcstudio.catalog.formats.apibench import split_code

APIBENCH = FIXTURES / "outside" / "apibench"
read = get_reader("apibench")
FILES = sorted(APIBENCH.glob("*.json"))


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_no_user_turn_holds_its_own_gold_call(path: Path) -> None:
    batch, _ = read(str(path))
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(batch.trajectories) == len(rows) and not [w for w in batch.warnings if "skipped" in w]
    for traj, row in zip(batch.trajectories, rows, strict=True):
        user = traj.messages[0].content
        assert traj.messages[0].role == "user" and user
        assert "api_call" not in user and "Output" not in user and "###" not in user
        assert user.split("\n\n")[0] in row["code"] and traj.meta["output"] and traj.meta["output"] in row["code"]
        assert traj.messages[1].tool_calls  # the gold call is the assistant's


def test_torchhub_train_layout_splits_instruction_from_output() -> None:
    [first, *_] = read(str(APIBENCH / "torchhub_train.head3.json"))[0].trajectories
    assert first.messages[0].content == (
        "I need an API that can estimate the relative depth of objects from a single image. The output should be "
        "an inverse depth map."
    )
    assert first.meta["output"].startswith("{'domain': 'Classification', 'api_call':")
    call = first.messages[1].tool_calls[0].function
    assert call.name == "MiDaS"
    assert json.loads(call.arguments) == {"repo_or_dir": "intel-isl/MiDaS", "model": "DPT_Hybrid", "pretrained": True}


def test_spaced_instruction_marker_and_hugging_face_output() -> None:
    batch, _ = read(str(APIBENCH / "huggingface_eval.lines1-3,117.json"))
    assert batch.trajectories[0].meta["output"].startswith("<<<domain>>>: Natural Language Processing Sentence")
    assert batch.trajectories[3].messages[0].content.startswith("Our company wants to analyze")


def test_apis_sharing_a_name_are_told_apart() -> None:
    batch, _ = read(str(APIBENCH / "tensorflow_eval.lines1-3,7,9,12,13.json"))
    use = [t.tools[0] for t in batch.trajectories[3:]]
    assert [t.name for t in use] == [
        "universal-sentence-encoder",
        "universal-sentence-encoder_2",
        "universal-sentence-encoder_3",
        "universal-sentence-encoder_4",
    ]
    assert {t.source_ref for t in use} == {"universal-sentence-encoder"}
    assert len({json.dumps([t.description, t.parameters], sort_keys=True) for t in use}) == 4
    # each trajectory calls the variant it offers
    assert [t.messages[1].tool_calls[0].function.name for t in batch.trajectories[3:]] == [t.name for t in use]
    assert any("4 different APIs are named 'universal-sentence-encoder'" in w for w in batch.warnings)


def test_the_same_api_twice_is_one_tool(tmp_path: Path) -> None:
    line = (APIBENCH / "torchhub_eval.head3.json").read_text(encoding="utf-8").splitlines()[0]
    path = tmp_path / "twice.json"
    path.write_text(line + "\n" + line + "\n", encoding="utf-8")
    batch, _ = read(str(path))
    assert batch.trajectories[0].tools[0] is batch.trajectories[1].tools[0]
    assert not any("different APIs" in w for w in batch.warnings)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("###Instruction: Find a model.\n###Output: <<<api_call>>>: f()", ("Find a model.", "<<<api_call>>>: f()")),
        ("### Instruction: Find a model.\n### Output: x", ("Find a model.", "x")),
        ("{'Instruction': Find, a model., 'Output': {'api_call': 'f()'}}", ("Find, a model.", "{'api_call': 'f()'}")),
        ("{'Instruction': Cut short, 'Output': {'api_call': 'f(", ("Cut short", "{'api_call': 'f(")),
        ("###Instruction: Only an instruction", ("Only an instruction", "")),
        ("Just text with <<<api_call>>>: f()", None),
    ],
)
def test_split_code(code: str, expected: tuple[str, str] | None) -> None:
    assert split_code(code) == expected


def test_a_row_whose_instruction_cannot_be_told_is_skipped_and_named(tmp_path: Path) -> None:
    rows = [json.loads(line) for line in (APIBENCH / "torchhub_eval.head3.json").read_text().splitlines()]
    rows[1]["code"] = "Use " + rows[1]["api_call"]
    path = tmp_path / "rows.json"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    batch, _ = read(str(path))
    assert len(batch.trajectories) == 2
    [warning] = [w for w in batch.warnings if "skipped" in w]
    assert warning.startswith("1 row(s) skipped") and warning.endswith("lines 2")


def test_an_input_section_stays_with_the_instruction() -> None:
    batch, _ = read(str(APIBENCH / "tensorflow_eval.lines1-3,7,9,12,13.json"))
    [traj] = [t for t in batch.trajectories if "My cat is sitting" in t.messages[0].content]
    assert traj.messages[0].content.endswith("into high-dimensional vectors.\n\nMy cat is sitting on the porch")
    assert traj.meta["output"].startswith("import tensorflow_hub as hub")
