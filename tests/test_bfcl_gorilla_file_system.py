"""BFCL's GorillaFileSystem as fcstudio re-implements it: loading (defaults, long context), results as BFCL
renders them, error paths, File/Directory equality and repr, and BFCL's quirks (``//`` as the default root's
path, ``tail(lines=0)``, ``cp`` over an existing entry raising, moved directories keeping old parents)."""

from __future__ import annotations

import copy
import inspect

import pytest

from fcstudio.envs.bfcl import long_context
from fcstudio.envs.bfcl.classes import func_docs, public_methods
from fcstudio.envs.bfcl.gorilla_file_system import Directory, File, GorillaFileSystem
from fcstudio.envs.bfcl.session import Session, render

SCENARIO = {
    "root": {
        "alex": {
            "type": "directory",
            "contents": {
                "docs": {
                    "type": "directory",
                    "contents": {
                        "log.txt": {"type": "file", "content": "beta\nalpha\ngamma"},
                        "empty": {"type": "directory", "contents": {}},
                    },
                },
                "notes.md": {"type": "file", "content": "one two\nthree"},
                ".secret": {"type": "file", "content": ""},
                "link": {"type": "symlink"},
            },
        }
    }
}


def loaded(scenario: dict | None = None, long: bool = False) -> GorillaFileSystem:
    fs = GorillaFileSystem()
    fs._load_scenario(copy.deepcopy(SCENARIO if scenario is None else scenario), long_context=long)
    return fs


def call(fs: GorillaFileSystem, name: str, *args: object, **kwargs: object) -> str:
    return render(getattr(fs, name)(*args, **kwargs))


def test_methods_and_signatures_match_the_function_docs() -> None:
    docs = {d["name"]: d for d in func_docs("GorillaFileSystem")}
    assert public_methods(GorillaFileSystem) == sorted(docs)
    for name, doc in docs.items():
        params = list(inspect.signature(getattr(GorillaFileSystem, name)).parameters)[1:]
        assert params == list(doc["parameters"]["properties"]), name
    defaults = {
        name: {p.name: p.default for p in inspect.signature(getattr(GorillaFileSystem, name)).parameters.values()}
        for name in ("echo", "find", "ls", "du", "tail", "wc")
    }
    assert defaults["echo"]["file_name"] is None and defaults["find"] == {
        "self": inspect.Parameter.empty,
        "path": ".",
        "name": None,
    }
    assert defaults["ls"]["a"] is False and defaults["du"]["human_readable"] is False
    assert defaults["tail"]["lines"] == 10 and defaults["wc"]["mode"] == "l"
    assert public_methods(File) == [] and public_methods(Directory) == []


def test_default_state_is_an_empty_slash_root() -> None:
    fs = loaded({}, long=True)
    assert {k: v for k, v in vars(fs).items() if not k.startswith("_")} == {
        "long_context": True,
        "root": Directory("/"),
    }
    assert fs.root.contents == {}  # the default root is never populated, even in long context
    assert call(fs, "pwd") == '{"current_working_directory": "//"}'
    assert call(fs, "cd", "..") == '{"error": "Current directory is already the root. Cannot go back."}'
    loaded({}).root._add_file("x")
    assert loaded({}).root.contents == {}  # a fresh default root each load


def test_scenario_tree_parents_and_skipped_types() -> None:
    fs = loaded()
    assert fs.root.name == "alex" and fs.root.parent is None and fs.long_context is False
    assert list(fs.root.contents) == ["docs", "notes.md", ".secret"]  # "link" (unknown type) is dropped
    docs = fs.root.contents["docs"]
    assert isinstance(docs, Directory) and docs.parent is fs.root
    assert docs.contents["log.txt"] == File("log.txt", "beta\nalpha\ngamma")
    with pytest.raises(IndexError):
        loaded({"root": {}})
    with pytest.raises(KeyError):
        loaded({"root": {"r": {"type": "directory"}}})


def test_long_context_extends_contents_and_populates_leaf_directories() -> None:
    fs = loaded(long=True)
    extension = long_context.get("FILE_CONTENT_EXTENSION")
    populated = long_context.get("POPULATE_FILE_EXTENSION")
    assert "log.txt" in long_context.get("FILES_TAIL_USED")
    assert fs.root.contents["notes.md"] == File("notes.md", "one two\nthree" + extension)
    docs = fs.root.contents["docs"]
    assert isinstance(docs, Directory)
    assert docs.contents["log.txt"] == File("log.txt", "beta\nalpha\ngamma")  # on the tail list: untouched
    assert list(fs.root.contents) == ["docs", "notes.md", ".secret"]  # has a subdirectory: not populated
    assert list(docs.contents) == ["log.txt", "empty"]
    empty = docs.contents["empty"]
    assert isinstance(empty, Directory) and list(empty.contents) == populated and len(populated) == 30
    assert all(empty.contents[n] == File(n, "") for n in populated)
    clash = {"root": {"r": {"type": "directory", "contents": {populated[0]: {"type": "file", "content": ""}}}}}
    with pytest.raises(ValueError, match=f"^File '{populated[0]}' already exists in directory 'r'.$"):
        loaded(clash, long=True)


def test_equality_and_repr() -> None:
    a, b = Directory("d"), Directory("d", Directory("other"))
    assert a == b and a != Directory("e") and a != "d"  # the parent does not count
    b._add_file("f", "x")
    assert a != b and File("f", "x") == File("f", "x") and File("f", "x") != File("f", "y")
    assert repr(b) == "<Directory: d, Parent: other, Contents: {'f': <<File: f, Content: x>>}>"
    assert repr(a) == "<Directory: d, Parent: None, Contents: {}>"
    assert loaded() == loaded() and loaded() != loaded({}) and loaded() != "fs"


def test_navigation() -> None:
    fs = loaded()
    assert call(fs, "ls") == '{"current_directory_content": ["docs", "notes.md"]}'
    assert call(fs, "ls", a=True) == '{"current_directory_content": ["docs", "notes.md", ".secret"]}'
    assert call(fs, "cd", "docs/") == '{"current_working_directory": "docs"}'
    assert call(fs, "pwd") == '{"current_working_directory": "/alex/docs"}'
    assert call(fs, "cd", "..") == "{}"
    assert call(fs, "cd", "docs/empty") == (
        '{"error": "cd: docs/empty: Unsupported path. Only one folder level at a time is supported."}'
    )
    assert call(fs, "cd", "notes.md") == '{"error": "cd: \'notes.md\': No such file or directory"}'
    assert call(fs, "cd", "/") == '{"current_working_directory": "alex"}'
    assert call(fs, "find") == ('{"matches": ["./docs", "./docs/log.txt", "./docs/empty", "./notes.md", "./.secret"]}')
    assert call(fs, "find", "/docs", "e") == '{"matches": ["/docs/empty"]}'
    assert call(fs, "find", "nope") == '{"error": "find: \'nope\': No such file or directory"}'


def test_file_tools() -> None:
    fs = loaded()
    assert call(fs, "touch", "a.txt") == "None"
    assert call(fs, "touch", "a.txt") == '{"error": "touch: cannot touch \'a.txt\': File exists"}'
    assert call(fs, "mkdir", "x:y") == '{"error": "mkdir: cannot create directory \'x:y\': Invalid character"}'
    assert call(fs, "echo", "hi") == '{"terminal_output": "hi"}'
    assert call(fs, "echo", "hi", "") == '{"terminal_output": "hi"}'
    assert call(fs, "echo", "c\nb\na", "a.txt") == "None"
    assert call(fs, "echo", "hi", "zz") == '{"error": "echo: cannot write to \'zz\': No such file"}'
    assert call(fs, "cat", "a.txt") == '{"file_content": "c\\nb\\na"}'
    assert call(fs, "cat", "docs") == '{"error": "cat: \'docs\': Is a directory"}'
    assert call(fs, "sort", "a.txt") == '{"sorted_content": "a\\nb\\nc"}'
    assert call(fs, "grep", "notes.md", "t") == '{"matching_lines": ["one two", "three"]}'
    assert call(fs, "wc", "notes.md", "w") == '{"count": 3, "type": "words"}'
    assert call(fs, "wc", "notes.md", "c") == '{"count": 13, "type": "characters"}'
    assert call(fs, "wc", "notes.md", "x") == '{"error": "wc: invalid mode \'x\'"}'
    assert call(fs, "wc", "docs") == '{"error": "wc: docs: No such file or directory"}'
    assert call(fs, "tail", "a.txt", 2) == '{"last_lines": "b\\na"}'
    assert call(fs, "tail", "a.txt", 0) == '{"last_lines": "c\\nb\\na"}'  # content[-0:] is everything
    assert call(fs, "diff", "a.txt", "notes.md") == '{"diff_lines": "- c\\n+ one two\\n- b\\n+ three"}'
    assert call(fs, "diff", "a.txt", "docs") == '{"error": "diff: a.txt or docs: No such file or directory"}'
    assert call(fs, "du") == '{"disk_usage": "34 bytes"}'
    assert call(fs, "du", human_readable=True) == '{"disk_usage": "34.00 B"}'
    assert call(loaded(long=True), "du", True) == '{"disk_usage": "6.42 KB"}'


def test_mv_rm_cp() -> None:
    fs = loaded()
    assert call(fs, "cp", "notes.md", "docs") == "{\"result\": \"'notes.md' copied to 'docs/notes.md'\"}"
    with pytest.raises(ValueError, match=r"^File 'notes\.md' already exists in directory 'docs'\.$"):
        fs.cp("notes.md", "docs")  # BFCL checks for 'docs/notes.md' inside docs, never a plain name
    assert call(fs, "cp", "notes.md", "a/b") == (
        '{"error": "cp: path not allowed in destination. Provide only a file or directory name."}'
    )
    assert call(fs, "mv", "notes.md", "docs") == (
        "{\"error\": \"mv: cannot move 'notes.md' to 'docs/notes.md': File exists\"}"
    )
    assert call(fs, "mv", "notes.md", "n.md") == "{\"result\": \"'notes.md' moved to 'n.md'\"}"
    assert call(fs, "mv", "n.md", ".secret") == "{\"error\": \"mv: cannot move 'n.md' to '.secret': Not a directory\"}"
    assert call(fs, "mv", "docs", "d2") == "{\"result\": \"'docs' moved to 'd2'\"}"
    moved = fs.root.contents["d2"]
    assert isinstance(moved, Directory) and moved.parent is fs.root
    child = moved.contents["empty"]
    assert isinstance(child, Directory) and child.parent is not moved and child.parent.name == "docs"
    assert call(fs, "rmdir", "d2") == '{"error": "rmdir: cannot remove \'d2\': Directory not empty"}'
    assert call(fs, "rmdir", "n.md") == '{"error": "rmdir: cannot remove \'n.md\': Not a directory"}'
    assert call(fs, "rm", "d2") == '{"result": "\'d2\' removed"}'
    assert call(fs, "rm", "d2") == '{"error": "rm: cannot remove \'d2\': No such file or directory"}'
    assert list(fs.root.contents) == [".secret", "n.md"]


def test_errors_as_the_executor_shows_them() -> None:
    session = Session({"GorillaFileSystem": copy.deepcopy(SCENARIO)}, ["GorillaFileSystem"], long_context=False)
    assert session.run("echo(content='x', file_name='docs')") == (
        "Error during execution: 'Directory' object has no attribute '_write'"
    )
    assert session.run("ls(b=True)") == (
        "Error during execution: GorillaFileSystem.ls() got an unexpected keyword argument 'b'"
    )
    assert session.run("cd(folder=5)") == "Error during execution: 'int' object has no attribute 'rstrip'"
    assert session.run("find(path=None)") == "Error during execution: 'NoneType' object has no attribute 'rstrip'"
    assert session.run("touch(file_name=3)") == "Error during execution: argument of type 'int' is not iterable"
    assert session.run("tail(file_name='notes.md', lines=2.0)") == (
        "Error during execution: slice indices must be integers or None or have an __index__ method"
    )
