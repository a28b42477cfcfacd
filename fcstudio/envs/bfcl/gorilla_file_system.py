"""BFCL's ``GorillaFileSystem``: an in-memory directory tree with shell-like tools (``ls``, ``cd``, ``cat``, ...).

Behaviour, messages and quirks follow bfcl-eval's class exactly, since its checker compares results and public
state (``root``, ``long_context``) with ``!=``. Quirks kept on purpose, among others: ``pwd`` includes the
root's own name (``//`` for the default root ``/``); ``tail(lines=0)`` shows the whole file; ``echo`` into a
directory raises ``AttributeError``; ``cp`` into a directory checks for ``"<dest>/<source>"`` rather than
``source`` there, so copying over an existing entry raises ``ValueError``; moved and copied directories keep
children whose ``parent`` is the original directory; ``"."`` always resolves to the current directory.
"""

from __future__ import annotations

from typing import Any, cast

from fcstudio.envs.bfcl import long_context as _long_context

# Characters a new file or directory name may not contain, in BFCL's order (the first membership test is
# the one that fails for a name that is not a string, so the order shows in the error).
_INVALID_NAME_CHARS = '|/\\?%*:"><'


class File:
    """A named file; two files are equal when name and content are."""

    def __init__(self, name: str, content: str = "") -> None:
        self.name: str = name
        self.content: str = content

    def _write(self, new_content: str) -> None:
        self.content = new_content

    def _read(self) -> str:
        return self.content

    def _append(self, additional_content: str) -> None:
        self.content += additional_content

    def __repr__(self) -> str:
        return f"<<File: {self.name}, Content: {self.content}>>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, File) and self.name == other.name and self.content == other.content


class Directory:
    """A named directory with a parent link; equality ignores the parent (name and contents only)."""

    def __init__(self, name: str, parent: Directory | None = None) -> None:
        self.name: str = name
        self.parent: Directory | None = parent
        self.contents: dict[str, File | Directory] = {}

    def _add_file(self, file_name: str, content: str = "") -> None:
        if file_name in self.contents:
            raise ValueError(f"File '{file_name}' already exists in directory '{self.name}'.")
        self.contents[file_name] = File(file_name, content)

    def _add_directory(self, dir_name: str) -> None:
        if dir_name in self.contents:
            raise ValueError(f"Directory '{dir_name}' already exists in directory '{self.name}'.")
        self.contents[dir_name] = Directory(dir_name, self)

    def _get_item(self, item_name: str) -> File | Directory | None:
        """``"."`` is this directory even when an entry literally named ``"."`` exists (as in BFCL)."""
        if item_name == ".":
            return self
        return self.contents.get(item_name)

    def _list_contents(self) -> list[str]:
        return list(self.contents)

    def __repr__(self) -> str:
        parent = self.parent.name if self.parent is not None else None
        return f"<Directory: {self.name}, Parent: {parent}, Contents: {self.contents}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Directory) and self.name == other.name and self.contents == other.contents


class GorillaFileSystem:
    """A file system with one current directory; every tool works on names local to it (``cd``/``find`` on paths)."""

    def __init__(self) -> None:
        self.root: Directory
        self._current_dir: Directory
        self._api_description = (
            "This tool belongs to the Gorilla file system. It is a simple file system that allows users to "
            "perform basic file operations such as navigating directories, creating files and directories, "
            "reading and writing to files, etc."
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GorillaFileSystem) and self.root == other.root

    # ---- loading -------------------------------------------------------------------------------------------

    def _load_scenario(self, scenario: dict, long_context: bool = False) -> None:
        """The tree under ``scenario["root"]``'s single top entry, or an empty ``/`` when there is none.

        In long context every file not on BFCL's tail list gets the filler text appended, and every directory
        without subdirectories gets BFCL's extra image files (the default empty ``/`` gets neither)."""
        self.long_context = long_context
        self.root = Directory("/", None)
        if "root" in scenario:
            top = scenario["root"]
            root_name = list(top.keys())[0]  # noqa: RUF015 (an empty root raises IndexError, as in BFCL)
            self.root = self._load_directory(top[root_name]["contents"], Directory(root_name, None))
        self._current_dir = self.root

    def _load_directory(self, current: dict, parent: Directory) -> Directory:
        """Fill ``parent`` from one scenario ``contents`` mapping; entries of other types are skipped."""
        has_subdirectory = False
        for name, data in current.items():
            if data["type"] == "directory":
                has_subdirectory = True
                parent.contents[name] = self._load_directory(data["contents"], Directory(name, parent))
            elif data["type"] == "file":
                content = data["content"]
                if self.long_context and name not in _long_context.get("FILES_TAIL_USED"):
                    content += _long_context.get("FILE_CONTENT_EXTENSION")
                parent.contents[name] = File(name, content)
        if self.long_context and not has_subdirectory:
            for file_name in _long_context.get("POPULATE_FILE_EXTENSION"):
                parent._add_file(file_name)  # raises ValueError on a clash, as BFCL does
        return parent

    # ---- helpers -------------------------------------------------------------------------------------------

    @staticmethod
    def _valid_name(name: str) -> bool:
        return not any(c in name for c in _INVALID_NAME_CHARS)

    def _navigate_to_directory(self, path: str | None) -> Directory | dict[str, str]:
        """The directory at ``path`` (absolute, or relative to the current one), or a ``cd:`` error dict."""
        if path is None or path == ".":
            return self._current_dir
        if path == "/":
            return self.root
        parts = path.strip("/").split("/")
        here = self.root if path.startswith("/") else self._current_dir
        for part in parts:
            step = here._get_item(part)
            if not isinstance(step, Directory):
                return {"error": f"cd: '{path}': No such file or directory"}
            here = step
        return here

    def _local_file(self, file_name: str) -> File | None:
        """The file named ``file_name`` in the current directory, if there is one (not a directory)."""
        if file_name in self._current_dir.contents:
            item = self._current_dir._get_item(file_name)
            if isinstance(item, File):
                return item
        return None

    # ---- tools ---------------------------------------------------------------------------------------------

    def pwd(self) -> dict[str, str]:
        """The path from the root, the root's own name included (so ``//`` at a root named ``/``)."""
        names = []
        node: Directory | None = self._current_dir
        while node is not None:
            names.append(node.name)
            node = node.parent
        return {"current_working_directory": "/" + "/".join(reversed(names))}

    def ls(self, a: bool = False) -> dict[str, list[str]]:
        """Names in the current directory; dot-names only with ``a``."""
        names = self._current_dir._list_contents()
        if not a:
            names = [n for n in names if not n.startswith(".")]
        return {"current_directory_content": names}

    def cd(self, folder: str) -> dict[str, str]:
        """Move one level (a name, ``..``, ``.`` or ``/``); the result names the new directory, ``{}`` for ``..``."""
        folder = folder.rstrip("/") or "/"
        if folder not in {".", "..", "/"} and "/" in folder:
            return {"error": f"cd: {folder}: Unsupported path. Only one folder level at a time is supported."}
        if folder == "..":
            if self._current_dir.parent:
                self._current_dir = self._current_dir.parent
                return {}
            if self.root == self._current_dir:
                return {"error": "Current directory is already the root. Cannot go back."}
            return {"error": "cd: ..: No such directory"}
        target = self._navigate_to_directory(folder)
        if isinstance(target, dict):
            return target
        self._current_dir = target
        return {"current_working_directory": target.name}

    def mkdir(self, dir_name: str) -> dict[str, str] | None:
        """A new empty directory here; the result is ``None`` on success."""
        if not self._valid_name(dir_name):
            return {"error": f"mkdir: cannot create directory '{dir_name}': Invalid character"}
        if dir_name in self._current_dir.contents:
            return {"error": f"mkdir: cannot create directory '{dir_name}': File exists"}
        self._current_dir._add_directory(dir_name)
        return None

    def touch(self, file_name: str) -> dict[str, str] | None:
        """A new empty file here; an existing name is an error, not a timestamp update."""
        if not self._valid_name(file_name):
            return {"error": f"touch: cannot touch '{file_name}': Invalid character"}
        if file_name in self._current_dir.contents:
            return {"error": f"touch: cannot touch '{file_name}': File exists"}
        self._current_dir._add_file(file_name)
        return None

    def echo(self, content: str, file_name: str | None = None) -> dict[str, str] | None:
        """Overwrite an existing local file (result ``None``), or show ``content`` without a (truthy) name."""
        if file_name is None:
            return {"terminal_output": content}
        if not self._valid_name(file_name):
            return {"error": f"echo: cannot write to '{file_name}': Invalid character"}
        if not file_name:
            return {"terminal_output": content}
        if file_name not in self._current_dir.contents:
            return {"error": f"echo: cannot write to '{file_name}': No such file"}
        item = self._current_dir._get_item(file_name)
        item._write(content)  # type: ignore[union-attr]  # a directory has no _write: AttributeError, as in BFCL
        return None

    def cat(self, file_name: str) -> dict[str, str]:
        """A local file's whole content."""
        if not self._valid_name(file_name):
            return {"error": f"cat: '{file_name}': Invalid character"}
        if file_name not in self._current_dir.contents:
            return {"error": f"cat: '{file_name}': No such file or directory"}
        item = self._current_dir._get_item(file_name)
        if isinstance(item, File):
            return {"file_content": item._read()}
        return {"error": f"cat: '{file_name}': Is a directory"}

    def find(self, path: str = ".", name: str | None = None) -> dict[str, Any]:
        """Every path under ``path`` (depth first, in insertion order) whose last part contains ``name``."""
        start = self._navigate_to_directory(path)
        if isinstance(start, dict):
            message = start.get("error", "")
            if message.startswith("cd:"):
                return {"error": message.replace("cd:", "find:", 1)}
            return start
        matches: list[str] = []

        def walk(directory: Directory, prefix: str) -> None:
            for item_name, item in directory.contents.items():
                item_path = f"{prefix}/{item_name}"
                if name is None or name in item_name:
                    matches.append(item_path)
                if isinstance(item, Directory):
                    walk(item, item_path)

        walk(start, path.rstrip("/"))
        return {"matches": matches}

    def wc(self, file_name: str, mode: str = "l") -> dict[str, Any]:
        """Lines, words or characters of a local file; the mode is checked before the file."""
        if mode not in ["l", "w", "c"]:
            return {"error": f"wc: invalid mode '{mode}'"}
        file = self._local_file(file_name)
        if file is None:
            return {"error": f"wc: {file_name}: No such file or directory"}
        content = file._read()
        if mode == "l":
            return {"count": len(content.splitlines()), "type": "lines"}
        if mode == "w":
            return {"count": len(content.split()), "type": "words"}
        return {"count": len(content), "type": "characters"}

    def sort(self, file_name: str) -> dict[str, str]:
        """A local file's lines in code-point order (the file is unchanged)."""
        file = self._local_file(file_name)
        if file is None:
            return {"error": f"sort: {file_name}: No such file or directory"}
        return {"sorted_content": "\n".join(sorted(file._read().splitlines()))}

    def grep(self, file_name: str, pattern: str) -> dict[str, Any]:
        """Lines containing ``pattern`` as a plain substring."""
        file = self._local_file(file_name)
        if file is None:
            return {"error": f"grep: {file_name}: No such file or directory"}
        return {"matching_lines": [line for line in file._read().splitlines() if pattern in line]}

    def du(self, human_readable: bool = False) -> dict[str, str]:
        """UTF-8 bytes of every file under the current directory."""

        def size_of(item: File | Directory) -> int:
            if isinstance(item, File):
                return len(item._read().encode("utf-8"))
            return sum(size_of(child) for child in item.contents.values())

        total = size_of(self._current_dir)
        if not human_readable:
            return {"disk_usage": f"{total} bytes"}
        scaled: float = total
        for unit in ("B", "KB", "MB", "GB", "TB"):
            if scaled < 1024:
                return {"disk_usage": f"{scaled:.2f} {unit}"}
            scaled /= 1024
        return {"disk_usage": f"{scaled:.2f} PB"}

    def tail(self, file_name: str, lines: int = 10) -> dict[str, str]:
        """The last ``lines`` lines; ``0`` (``content[-0:]``) gives them all, as in BFCL."""
        file = self._local_file(file_name)
        if file is None:
            return {"error": f"tail: {file_name}: No such file or directory"}
        all_lines = file._read().splitlines()
        if lines > len(all_lines):
            lines = len(all_lines)
        return {"last_lines": "\n".join(all_lines[-lines:])}

    def diff(self, file_name1: str, file_name2: str) -> dict[str, str]:
        """Differing line pairs up to the shorter file's length (extra lines are not reported)."""
        here = self._current_dir
        if file_name1 in here.contents and file_name2 in here.contents:
            first, second = here._get_item(file_name1), here._get_item(file_name2)
            if isinstance(first, File) and isinstance(second, File):
                pairs = zip(first._read().splitlines(), second._read().splitlines(), strict=False)
                return {"diff_lines": "\n".join(f"- {a}\n+ {b}" for a, b in pairs if a != b)}
        return {"error": f"diff: {file_name1} or {file_name2}: No such file or directory"}

    def mv(self, source: str, destination: str) -> dict[str, str]:
        """Rename a local entry, or move it into a local directory (the moved copy shares its children)."""
        here = self._current_dir
        if source not in here.contents:
            return {"error": f"mv: cannot move '{source}': No such file or directory"}
        item = here._get_item(source)
        if not isinstance(item, (File, Directory)):
            return {"error": f"mv: cannot move '{source}': Not a file or directory"}
        if "/" in destination:
            return {"error": "mv: path not allowed in destination. Provide only a file or directory name."}
        if destination not in here.contents:
            here.contents.pop(source)
            self._place(item, here, destination, copy=False)
            return {"result": f"'{source}' moved to '{destination}'"}
        target = here._get_item(destination)
        if not isinstance(target, Directory):
            return {"error": f"mv: cannot move '{source}' to '{destination}': Not a directory"}
        if f"{source}" in target.contents:
            return {"error": f"mv: cannot move '{source}' to '{destination}/{source}': File exists"}
        here.contents.pop(source)
        self._place(item, target, source, copy=False)
        return {"result": f"'{source}' moved to '{destination}/{source}'"}

    def rm(self, file_name: str) -> dict[str, str]:
        """Remove a local file or directory, a non-empty directory included."""
        if file_name not in self._current_dir.contents:
            return {"error": f"rm: cannot remove '{file_name}': No such file or directory"}
        item = self._current_dir._get_item(file_name)
        if not isinstance(item, (File, Directory)):
            return {"error": f"rm: cannot remove '{file_name}': Not a file or directory"}
        self._current_dir.contents.pop(file_name)
        return {"result": f"'{file_name}' removed"}

    def rmdir(self, dir_name: str) -> dict[str, str]:
        """Remove an empty local directory."""
        if dir_name not in self._current_dir.contents:
            return {"error": f"rmdir: cannot remove '{dir_name}': No such file or directory"}
        item = self._current_dir._get_item(dir_name)
        if not isinstance(item, Directory):
            return {"error": f"rmdir: cannot remove '{dir_name}': Not a directory"}
        if item.contents:
            return {"error": f"rmdir: cannot remove '{dir_name}': Directory not empty"}
        self._current_dir.contents.pop(dir_name)
        return {"result": f"'{dir_name}' removed"}

    def cp(self, source: str, destination: str) -> dict[str, str]:
        """Copy a local entry to a new name or into a local directory (a directory copy is one level deep)."""
        here = self._current_dir
        if source not in here.contents:
            return {"error": f"cp: cannot copy '{source}': No such file or directory"}
        item = here._get_item(source)
        if not isinstance(item, (File, Directory)):
            return {"error": f"cp: cannot copy '{source}': Not a file or directory"}
        if "/" in destination:
            return {"error": "cp: path not allowed in destination. Provide only a file or directory name."}
        if destination not in here.contents:
            self._place(item, here, destination, copy=True)
            return {"result": f"'{source}' copied to '{destination}'"}
        target = here._get_item(destination)
        if not isinstance(target, Directory):
            return {"error": f"cp: cannot copy '{source}' to '{destination}': Not a directory"}
        # BFCL looks for "<destination>/<source>" inside the directory, which never matches a plain name:
        # an existing entry named like the source then makes _add_file/_add_directory raise ValueError.
        if f"{destination}/{source}" in target.contents:
            return {"error": f"cp: cannot copy '{source}' to '{destination}/{source}': File exists"}
        self._place(item, target, source, copy=True)
        return {"result": f"'{source}' copied to '{destination}/{source}'"}

    @staticmethod
    def _place(item: File | Directory, into: Directory, name: str, *, copy: bool) -> None:
        """A new entry ``name`` in ``into`` like ``item``: a file with its content, or a directory holding
        ``item``'s children (the same dict for a move, a shallow copy taken after the new entry exists for a
        copy, so copying a directory into itself contains itself, as in BFCL); children keep their ``parent``."""
        if isinstance(item, File):
            into._add_file(name, item.content)
            return
        into._add_directory(name)
        new_dir = cast(Directory, into.contents[name])
        new_dir.contents = item.contents.copy() if copy else item.contents
