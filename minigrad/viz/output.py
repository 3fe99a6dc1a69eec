"""Writing drawings: DOT text always; SVG, PNG or PDF when the Graphviz `dot` program exists."""

from __future__ import annotations

import shutil
from pathlib import Path

import graphviz

INSTALL = (
    "install Graphviz to render images: `apt-get install graphviz` (Debian, Ubuntu), "
    "`brew install graphviz` (macOS), `conda install graphviz`, or see "
    "https://graphviz.org/download/"
)


class GraphvizNotFound(RuntimeError):
    """The `dot` program is not installed; the DOT text was written instead."""


def has_dot() -> bool:
    return shutil.which("dot") is not None


def render(graph: graphviz.Digraph, path, format: str = "svg") -> Path:  # noqa: A002
    """Write `graph` to `path` (the suffix is replaced by `format`) and return the file.

    Without the `dot` program this fails at once, after writing the DOT text next to `path`,
    with a message saying how to install Graphviz and where the text is.
    """
    path = Path(path)
    if format not in ("svg", "png", "pdf", "dot"):
        raise ValueError(f"render: format must be svg, png, pdf or dot, got {format!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    dot_file = path.with_suffix(".dot")
    dot_file.write_text(graph.source)
    if format == "dot":
        return dot_file
    if not has_dot():
        raise GraphvizNotFound(
            f"render: the Graphviz `dot` program is not installed, so no "
            f"{format} was made; the DOT text is in {dot_file}. {INSTALL}"
        )
    out = path.with_suffix(f".{format}")
    out.write_bytes(graph.pipe(format=format))
    return out
