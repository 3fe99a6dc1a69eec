"""The primitives: the only places with derivative rules. `PRIMITIVES` lists them all."""

from minigrad.autodiff.graph import Primitive
from minigrad.ops import elementwise, linalg, reduce, shape  # noqa: F401 (registers them)

PRIMITIVES: tuple[type[Primitive], ...] = tuple(Primitive.registry)

__all__ = ["PRIMITIVES", "Primitive"]
