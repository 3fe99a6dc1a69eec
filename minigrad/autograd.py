"""PyTorch's `torch.autograd` spellings: `grad(outputs, inputs)` returns gradients instead of
accumulating them, and `backward(tensors)` is `Tensor.backward` for several outputs at once.

(minigrad's engine lives in `minigrad/autodiff/`; JAX's function transforms are `mg.grad`,
`mg.vjp`, ... in `minigrad/transforms.py`.)
"""

from __future__ import annotations

from minigrad.autodiff import reverse
from minigrad.creation import zeros_like
from minigrad.tensor import Tensor
from minigrad.validate import flag


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
    materialize_grads: bool = False,
) -> tuple[Tensor | None, ...]:
    """The gradients of `outputs` with respect to `inputs`, as a tuple (nothing is
    accumulated into `.grad`), as `torch.autograd.grad`.

    `grad_outputs` gives the vector of the vector-Jacobian product for each output (None for
    scalar outputs). An input that the outputs do not depend on is an error unless
    `allow_unused=True` (then its gradient is None, or zeros with `materialize_grads=True`).

    >>> import minigrad as mg
    >>> x = mg.tensor(3.0, requires_grad=True)
    >>> mg.autograd.grad(x ** 2, x)
    (tensor(6.),)
    """
    roots = reverse.tensor_list(outputs, "autograd.grad", "outputs")
    if grad_outputs is None:
        for k, r in enumerate(roots):
            if r.size != 1:
                raise RuntimeError(
                    f"autograd.grad: outputs[{k}] has shape {r.shape}, not a scalar; pass "
                    "grad_outputs= (one tensor of each output's shape: the vector of the "
                    "vector-Jacobian product), or reduce it first, e.g. y.sum()"
                )
    targets = reverse.tensor_list(inputs, "autograd.grad", "inputs", requires_grad=True)
    seeds = _seeds(grad_outputs, roots)
    allow_unused = flag(allow_unused, "autograd.grad", "allow_unused")
    materialize_grads = flag(materialize_grads, "autograd.grad", "materialize_grads")
    grads = reverse.backward(
        roots, seeds, retain_graph=retain_graph, create_graph=create_graph, targets=targets
    )
    for k, (x, g) in enumerate(zip(targets, grads, strict=True)):
        if g is None and not (allow_unused or materialize_grads):
            raise RuntimeError(
                f"autograd.grad: inputs[{k}] (shape {x.shape}) was not used to compute the "
                "outputs, so it has no gradient; pass allow_unused=True to get None for it (or "
                "materialize_grads=True for zeros)"
            )
    if materialize_grads:
        grads = [zeros_like(x) if g is None else g for x, g in zip(targets, grads, strict=True)]
    return tuple(grads)


def backward(
    tensors,
    grad_tensors=None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs=None,
) -> None:
    """Accumulate the gradients of several outputs into the leaves' `.grad` in one sweep
    (`torch.autograd.backward`); with `inputs`, into those tensors' `.grad` only."""
    roots = reverse.tensor_list(tensors, "autograd.backward", "tensors")
    reverse.backward(
        roots,
        _seeds(grad_tensors, roots, "autograd.backward", "grad_tensors"),
        retain_graph=retain_graph,
        create_graph=create_graph,
        into=inputs,
    )


def _seeds(seeds, roots, where: str = "autograd.grad", what: str = "grad_outputs") -> list:
    if seeds is None:
        return [None] * len(roots)
    # One per output, in a sequence (PyTorch's form); a tensor or array alone for one output.
    items = seeds if isinstance(seeds, list | tuple) else [seeds]
    if len(items) != len(roots):
        raise ValueError(
            f"{where}: {what} must give one gradient (or None) per output: {len(roots)} "
            f"output(s), got {seeds!r:.60}"
        )
    return list(items)
