"""Every relative link and image in README.md and docs/*.md points at a file that exists, and
every demo a docs/experiments.md heading names is a script in demos/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)|<img [^>]*src=\"([^\"]+)\"")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_resolve(page):
    missing = []
    for match in LINK.finditer(page.read_text()):
        target = (match.group(1) or match.group(2)).split("#")[0]
        if not target or re.match(r"[a-z]+:", target):
            continue  # an anchor or a URL
        if not (page.parent / target).exists():
            missing.append(target)
    assert not missing, f"{page.name} links to missing files: {missing}"


def test_experiment_headings_name_real_demos():
    text = (ROOT / "docs" / "experiments.md").read_text()
    headings = re.findall(r"(?m)^## .*—(.*)$", text)
    assert len(headings) >= 15
    for heading in headings:
        for demo in re.findall(r"`([a-z_0-9]+)`", heading):
            assert (ROOT / "demos" / f"{demo}.py").is_file(), demo
