"""Executable environments: typed read/write tools over a domain database (retail, airline, travel), gold replay."""
