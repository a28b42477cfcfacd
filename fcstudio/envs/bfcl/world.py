"""The objects BFCL's classes share process-wide, scoped to one check instead of one process.

Two of BFCL's classes change shared objects in place: TwitterAPI's ``post_tweet`` stores its mutable default
``tags``/``mentions`` lists in the tweet (a later ``mention`` changes the default itself), and TravelAPI's
long-context variant adds the extension cards and bookings by reference (a booking changes the module
constant). In bfcl-eval they are shared by every instance in the process: the model's and the ground
truth's instances of one check see each other's changes, and one entry's changes leak into the next, so a
result depends on what ran before it in that process. fcstudio keeps the first (both sessions of a check
share a ``World``, as they share BFCL's process) and drops the second (a new check, replay or episode gets a
new ``World``), which is exactly bfcl-eval's behaviour in a fresh process; the reference fixture is recorded
that way (``tools/bfcl_multiturn_reference.py`` restores BFCL's shared objects after every case).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class World:
    def __init__(self) -> None:
        self._objects: dict[str, Any] = {}

    def get(self, key: str, make: Callable[[], Any]) -> Any:
        """The world's one object for ``key``, made on first use."""
        if key not in self._objects:
            self._objects[key] = make()
        return self._objects[key]


PROCESS = World()  # for instances made outside a Session (e.g. in a test): shared, as in BFCL
