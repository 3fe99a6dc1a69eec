"""Pytrees, as in JAX: tuples, lists, dicts, namedtuples and None nested around leaves.
`flatten` gives the leaves in order and a `TreeDef` that rebuilds the containers around new ones.

Containers are exactly `tuple`, `list`, `dict`, namedtuple classes and `None` (a container with
no leaves); anything else, a subclass of dict or list included, is a leaf.
"""

from __future__ import annotations

import inspect

import numpy as np

_NONE = type(None)


class TreeDef:
    """The structure of a pytree without its leaves: rebuilds a tree (`unflatten`), compares
    with `==`, names its leaves (`paths`) and prints as "dict with keys ('b', 'w')"."""

    __slots__ = ("kind", "keys", "children", "num_leaves")

    def __init__(self, kind: type | None, keys: tuple = (), children: tuple = ()) -> None:
        self.kind = kind  # None for a leaf; tuple, list, dict, NoneType or a namedtuple class
        self.keys = keys  # a dict's keys (sorted) or a namedtuple's fields
        self.children: tuple[TreeDef, ...] = children
        self.num_leaves = 1 if kind is None else sum(c.num_leaves for c in children)

    def unflatten(self, leaves):
        """The tree of this structure with `leaves` (in `flatten`'s order) at its leaves."""
        leaves = list(leaves)
        if len(leaves) != self.num_leaves:
            raise ValueError(
                f"unflatten: the structure {self} holds {self.num_leaves} leaves, got {len(leaves)}"
            )
        return self._build(iter(leaves))

    def _build(self, leaves):
        if self.kind is None:
            return next(leaves)
        parts = [c._build(leaves) for c in self.children]
        if self.kind is dict:
            return dict(zip(self.keys, parts, strict=True))
        if self.kind is _NONE:
            return None
        return self.kind(parts) if self.kind in (tuple, list) else self.kind(*parts)

    def paths(self) -> list[str]:
        """Each leaf's place as Python indexing, in order: "['w'][1]", ".x" ("" at the root)."""
        if self.kind is None:
            return [""]
        steps = self.keys if self.kind is not tuple and self.kind is not list else ()
        out = []
        for k, child in enumerate(self.children):
            if self.kind is dict:
                step = f"[{_key(steps[k])}]"
            else:
                step = f".{steps[k]}" if steps else f"[{k}]"
            out.extend(step + p for p in child.paths())
        return out

    def __eq__(self, other) -> bool:
        return isinstance(other, TreeDef) and (self.kind, self.keys, self.children) == (
            other.kind,
            other.keys,
            other.children,
        )

    def __hash__(self) -> int:
        return hash((self.kind, self.keys, self.children))

    def __str__(self) -> str:
        if self.kind is None:
            return "a leaf"
        if self.kind is _NONE:
            return "None"
        if self.kind is dict:
            return f"dict with keys {self.keys}"
        if self.kind in (tuple, list):
            return f"{self.kind.__name__} of {len(self.children)}"
        return f"namedtuple {self.kind.__name__} with fields {self.keys}"

    def __repr__(self) -> str:
        return f"TreeDef({self._sketch()})"

    def _sketch(self) -> str:
        inner = [c._sketch() for c in self.children]
        if self.kind is None:
            return "*"
        if self.kind is _NONE:
            return "None"
        if self.kind is dict:
            return (
                "{" + ", ".join(f"{k!r}: {c}" for k, c in zip(self.keys, inner, strict=True)) + "}"
            )
        if self.kind is list:
            return "[" + ", ".join(inner) + "]"
        if self.kind is tuple:
            return "(" + ", ".join(inner) + ("," if len(inner) == 1 else "") + ")"
        fields = ", ".join(f"{k}={c}" for k, c in zip(self.keys, inner, strict=True))
        return f"{self.kind.__name__}({fields})"


def flatten(tree, where: str = "pytree") -> tuple[list, TreeDef]:
    """The leaves of `tree` in order (dict entries by sorted key) and its structure; `where`
    names the caller in the error for a dict whose keys do not sort.

    # NOTE: dict keys are sorted, as JAX does: {'w': w, 'b': b} and {'b': b, 'w': w} have one
    # structure, and trees rebuilt by `unflatten` (gradients, tangents) have sorted keys.
    """
    leaves: list = []
    return leaves, _flatten(tree, leaves, where)


def _flatten(tree, leaves: list, where: str) -> TreeDef:
    kind = _kind(tree)
    if kind is None:
        leaves.append(tree)
        return _LEAF
    if kind is dict:
        keys = _sorted_keys(tree, where)
        children = [tree[k] for k in keys]
    else:
        keys, children = getattr(kind, "_fields", ()), tree or ()
    return TreeDef(kind, tuple(keys), tuple(_flatten(c, leaves, where) for c in children))


def _kind(tree) -> type | None:
    t = type(tree)
    if t is tuple or t is list or t is dict or tree is None:
        return t
    if isinstance(tree, tuple) and hasattr(t, "_fields"):  # a namedtuple
        return t
    return None


def _sorted_keys(d: dict, where: str = "pytree") -> list:
    try:
        return sorted(d)
    except TypeError:
        raise TypeError(
            f"{where}: a dict in a pytree must have keys that sort (as JAX sorts them), such as "
            f"all strings, got keys {list(d)!r:.80}"
        ) from None


_LEAF = TreeDef(None)


def leaves(tree) -> list:
    return flatten(tree)[0]


def is_leaf(x) -> bool:
    """Whether `x` is a leaf (not a tuple, list, dict, namedtuple or None)."""
    return _kind(x) is None


def tree_map(fn, tree):
    """`tree` with `fn(leaf)` at each leaf."""
    values, treedef = flatten(tree)
    return treedef.unflatten([fn(v) for v in values])


def mismatch(tree, like, where: str = "pytree") -> tuple[str, str, str] | None:
    """The first place where `tree`'s containers differ from `like`'s, as (path, what `tree`
    has there, what `like` has there), or None when their structures are the same."""
    kind, other = _kind(tree), _kind(like)
    if kind is None and other is None:
        return None
    if kind is not other or (kind in (tuple, list) and len(tree) != len(like)):
        return "", describe(tree), describe(like)
    if kind is dict:
        keys, like_keys = _sorted_keys(tree, where), _sorted_keys(like, where)
        if keys != like_keys:
            return "", describe(tree), describe(like)
        pairs = [(f"[{_key(k)}]", tree[k], like[k]) for k in keys]
    elif kind is _NONE:
        return None
    else:
        fields = getattr(kind, "_fields", ())
        steps = [f".{f}" for f in fields] or [f"[{k}]" for k in range(len(tree))]
        pairs = list(zip(steps, tree, like, strict=True))
    for step, t, s in pairs:
        found = mismatch(t, s, where)
        if found is not None:
            return (step + found[0], *found[1:])
    return None


def describe(value) -> str:
    """A value in a few words for an error message: "a dict with keys ('b', 'w')", "a tuple of
    2", "an array of shape (3,) and dtype float64", "a str"."""
    kind = _kind(value)
    if kind is None:
        if hasattr(value, "_requires_grad"):  # a Tensor (pytree sits below tensor.py)
            return f"a Tensor of shape {value.shape} and dtype {value.dtype}"
        if isinstance(value, np.ndarray):
            return f"an array of shape {value.shape} and dtype {value.dtype}"
        if isinstance(value, np.generic):
            return f"a NumPy {value.dtype} scalar"
        name = type(value).__name__
        return f"{'an' if name[0] in 'aeiouAEIOU' else 'a'} {name}"
    if kind is _NONE:
        return "None"
    if kind is dict:
        keys = [_key(k) for k in _sorted_keys(value)[:8]] + (["..."] if len(value) > 8 else [])
        return f"a dict with keys ({', '.join(keys)}{',' if len(keys) == 1 else ''})"
    return "a " + str(TreeDef(kind, getattr(kind, "_fields", ()), (_LEAF,) * len(value)))


def _key(key) -> str:
    """A dict key as Python writes it, shortened for messages."""
    text = repr(key)
    return text if len(text) <= 40 else text[:36] + "...'"


def name(root: str, path: str, flat: str) -> str:
    """A leaf's name for messages: `flat` for a bare leaf (path ""), else `root` + path, e.g.
    "params['w'][1]"."""
    return flat if not path else root + path


def parameter_name(f, k: int, default: str) -> str:
    """The name of `f`'s positional parameter `k` ("params"), or `default` if it has none."""
    try:
        parameters = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        return default
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if k < len(parameters) and parameters[k].kind in positional:
        return parameters[k].name
    return default
