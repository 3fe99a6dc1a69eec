"""docs/coming-from.md stays true: each of its ```python blocks runs, on its own, as written.
(Blocks that show what fails check it with pytest.raises inside; prose-only code is fenced
```text.)"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

import minigrad as mg

DOC = Path(__file__).resolve().parent.parent / "docs" / "coming-from.md"


def _blocks() -> list[tuple[int, str]]:
    text = DOC.read_text()
    return [
        (text.count("\n", 0, m.start()) + 2, m.group(1))
        for m in re.finditer(r"```python\n(.*?)```", text, re.S)
    ]


BLOCKS = _blocks()


def test_the_page_has_snippets_for_each_source():
    assert len(BLOCKS) >= 6
    text = DOC.read_text()
    for heading in ["## From micrograd", "## From PyTorch", "## From JAX", "## What minigrad does"]:
        assert heading in text


@pytest.fixture
def restored():
    """A snippet may change process-wide settings; put them back."""
    dtype = mg.get_default_dtype()
    yield
    mg.set_default_dtype(dtype)
    mg.set_grad_enabled(True)


@pytest.mark.parametrize(("line", "code"), BLOCKS, ids=[f"line-{line}" for line, _ in BLOCKS])
def test_snippet_runs(line, code, restored, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a snippet may write files
    namespace: dict = {"__name__": f"coming_from_line_{line}"}
    exec(compile(textwrap.dedent(code), f"{DOC.name}, block at line {line}", "exec"), namespace)
