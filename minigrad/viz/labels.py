"""Text in drawings: values summarised for records, user strings escaped for HTML-like DOT
labels, and the colour scale of gradient norms."""

from __future__ import annotations

import html

import numpy as np

# A perceptually ordered scale (dark blue -> yellow), log10 of the gradient norm.
PALETTE = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"]


def _text(value, limit: int = 80) -> str:
    """Any user string made safe and short for an HTML-like DOT label: lone surrogates and
    control characters (NUL, newlines) shown as escapes, cut to `limit` characters, then
    HTML-escaped (so no markup, no file references, and backslashes stay backslashes)."""
    text = str(value).encode("utf-8", "backslashreplace").decode("utf-8")
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return html.escape(text, quote=True)


def _html(value) -> str:
    """A whole label as an HTML-like DOT label of escaped text."""
    return f"<{_text(value, limit=400)}>"


def _palette(x: float) -> str:
    """Linear interpolation in PALETTE at x in [0, 1]."""
    x = min(1.0, max(0.0, x)) * (len(PALETTE) - 1)
    k = min(int(x), len(PALETTE) - 2)
    a, b = (np.array([int(c[i : i + 2], 16) for i in (1, 3, 5)]) for c in PALETTE[k : k + 2])
    r, g, bl = (a + (b - a) * (x - k)).round().astype(int)
    return f"#{r:02x}{g:02x}{bl:02x}"


def _ink(fill: str) -> str:
    r, g, b = (int(fill[i : i + 2], 16) for i in (1, 3, 5))
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#ffffff"


def _number(v) -> str:
    return f"{float(np.asarray(v).reshape(-1)[0]) + 0.0:.4g}"  # + 0.0: no "-0"


def _summary(a) -> str:
    """Full values for tiny arrays (as micrograd shows scalars), statistics otherwise."""
    a = np.asarray(a)
    if a.size == 1:
        return _number(a)
    if a.size <= 4:
        return "[" + ", ".join(f"{v + 0.0:.3g}" for v in a.reshape(-1)) + "]"
    return f"mean {a.mean():.2g}, std {a.std():.2g}, range [{a.min():.2g}, {a.max():.2g}]"


def _cell(a) -> str:
    """`_summary` for a record: statistics on two lines, so that records stay narrow."""
    return _summary(a).replace(", range", "<br/>range")


def _short(v) -> str:
    if isinstance(v, float | np.floating):
        return f"{v:.4g}"
    if isinstance(v, np.ndarray) and v.size > 4:  # (also blanks of constants freed by backward)
        return f"array{v.shape}"
    text = repr(v)
    return text if len(text) <= 24 else text[:21] + "..."
