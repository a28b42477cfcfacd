"""The README shows every page of the app: each page app.py registers has its screenshot, made by
``tools/make_screenshots.py`` (which visits exactly the pages app.py registers)."""

from __future__ import annotations

import re

from conftest import ROOT


def _registered_pages() -> list[str]:
    return re.findall(r'st\.Page\("pages/(\w+)\.py"', (ROOT / "app.py").read_text())


def test_every_page_has_a_screenshot_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    shown = set(re.findall(r"!\[[^\]]*\]\(docs/(\w+)\.png\)", readme))
    pages = _registered_pages()
    assert len(pages) >= 11
    assert set(pages) <= shown, f"pages without a screenshot in the README: {sorted(set(pages) - shown)}"
    for name in shown:
        png = ROOT / "docs" / f"{name}.png"
        assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png


def test_the_screenshot_tool_visits_every_registered_page() -> None:
    tool = (ROOT / "tools" / "make_screenshots.py").read_text()
    visited = set(re.findall(r'^\s+\("\w*", "(\w+)", ', tool, flags=re.M))
    assert set(_registered_pages()) <= visited
