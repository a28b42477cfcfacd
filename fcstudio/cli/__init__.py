"""The command line: everything the app can do, from a terminal. One module per pipeline stage; see ``app``."""

from fcstudio.cli.app import app, main

__all__ = ["app", "main"]
