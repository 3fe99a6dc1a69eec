"""Writing drawings: DOT text always; SVG, PNG or PDF when the Graphviz `dot` program exists."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import graphviz

from minigrad.validate import choice

INSTALL = (
    "install Graphviz to render images: `apt-get install graphviz` (Debian, Ubuntu), "
    "`brew install graphviz` (macOS), `conda install graphviz`, or see "
    "https://graphviz.org/download/"
)


class GraphvizNotFound(RuntimeError):
    """The `dot` program is not installed; the DOT text was written instead."""


def has_dot() -> bool:
    return shutil.which("dot") is not None


SUFFIXES = (".svg", ".png", ".pdf", ".dot", ".gv")


def render(graph: graphviz.Digraph, path, format: str = "svg") -> Path:  # noqa: A002
    """Write `graph` to `path` and return the file: `graph.svg` for `path="graph"` or
    `"graph.svg"`; a suffix that is not a drawing's is kept (`notes.txt` gives `notes.txt.svg`
    and `notes.txt.dot`, never touching a `notes.dot` of the user's).

    The DOT text is always written beside the image (`.dot`). Without the `dot` program this
    fails at once, after writing the DOT text, with a message saying how to install Graphviz
    and where the text is.
    """
    if not isinstance(graph, graphviz.Digraph | graphviz.Graph):
        raise TypeError(f"render: expected a drawing from viz.draw, got {type(graph).__name__}")
    choice(format, ("svg", "png", "pdf", "dot"), "render", "format")
    stem = _stem(path)
    stem.parent.mkdir(parents=True, exist_ok=True)
    dot_file = stem.with_name(stem.name + ".dot")
    dot_file.write_text(graph.source, encoding="utf-8")
    if format == "dot":
        return dot_file
    if not has_dot():
        raise GraphvizNotFound(
            f"render: the Graphviz `dot` program is not installed, so no "
            f"{format} was made; the DOT text is in {dot_file}. {INSTALL}"
        )
    out = stem.with_name(f"{stem.name}.{format}")
    out.write_bytes(graph.pipe(format=format))
    return out


def _stem(path) -> Path:
    """The path without a drawing's suffix, checked to name a file (not a folder)."""
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"render: path must be a file path, got {type(path).__name__}")
    text = os.fspath(path)
    if not text or text.endswith(("/", os.sep)) or Path(text).is_dir():
        raise ValueError(
            f"render: path must name a file to write (e.g. out/graph), got {text!r}; a folder "
            "is not a file name"
        )
    path = Path(text)
    return path.with_suffix("") if path.suffix.lower() in SUFFIXES else path
