"""The example primitive of docs/extending.md works as the document says."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

import minigrad as mg
from minigrad.numerical import central_jacobian

DOC = Path(__file__).resolve().parent.parent / "docs" / "extending.md"


def test_documented_primitive_differentiates_in_both_modes_and_twice():
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S).group(1)
    namespace: dict = {}
    exec(code, namespace)
    softsign = namespace["Softsign"]
    try:
        x = np.array([-1.5, 0.3, 2.0])
        f = lambda a: softsign()(mg.Tensor(a)).data
        (jac,) = central_jacobian(f, [x])
        g = mg.grad(lambda t: softsign()(t).sum())(x)
        np.testing.assert_allclose(g.data, jac.sum(axis=0), rtol=1e-7)
        _, tangent = mg.jvp(lambda t: softsign()(t), (x,), (np.ones(3),))
        np.testing.assert_allclose(tangent.data, jac.sum(axis=1), rtol=1e-7)
        g2 = mg.grad(lambda t: mg.grad(lambda s: softsign()(s).sum())(t).sum())(x)
        np.testing.assert_allclose(g2.data, -2 * np.sign(x) / (1 + np.abs(x)) ** 3, rtol=1e-7)
    finally:
        mg.Primitive.registry.remove(softsign)
