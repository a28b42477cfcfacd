"""The one error an importer raises: where in the file, and why."""

from __future__ import annotations


class FormatError(Exception):
    """A file that cannot be imported as the format asked for. ``str()`` reads ``PATH:LINE: reason``."""

    def __init__(self, path: str, reason: str, *, line: int | None = None, record: str | None = None):
        self.path = str(path)
        self.reason = reason
        self.line = line
        self.record = record
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
        if self.record is not None:
            where += f" (record {self.record})"
        return f"{where}: {self.reason}"
