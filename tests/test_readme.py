"""The README's Python snippets run as written, in order, as one session."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_snippets_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # snippets may write files (out/...)
    snippets = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert len(snippets) >= 2
    namespace: dict = {}
    for k, code in enumerate(snippets):
        exec(compile(textwrap.dedent(code), f"README snippet {k}", "exec"), namespace)
