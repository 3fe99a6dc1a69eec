"""Symbolic differentiation, graph to graph: a derivative program is built from a primal program
by applying each primitive's own VJP or JVP rule (the rules of `minigrad/ops/`, with
`xp = minigrad.functional`) to symbols. The rules' operations are traced like any function's, so
no derivative code lives here, and derivative programs can be differentiated again."""

from __future__ import annotations

import numpy as np

from minigrad import functional
from minigrad.autodiff.reverse import unbroadcast
from minigrad.program.ir import Program, Var
from minigrad.program.trace import Traced, Tracer, current, output


def grad(program: Program, wrt=0, *, with_value: bool = False) -> Program:
    out = program.outputs
    if len(out) != 1 or out[0].shape != () or out[0].dtype.kind != "f":
        shapes = ", ".join(v.type_text() for v in out)
        raise ValueError(
            f"program.grad: the program must return one float scalar, it returns {shapes}; "
            "use program.vjp() for other outputs"
        )
    positions = _positions(program, wrt, "grad")
    with Tracer() as tracer:
        xs, env = _replay(tracer, program)
        seeds = {out[0].index: np.ones((), out[0].dtype)}
        grads = _pull_back(program, env, seeds, positions)
        outs = [grads[k] for k in positions]
        if with_value:
            outs.insert(0, env[out[0].index])
    result = [output(tracer, o, k) for k, o in enumerate(outs)]
    return tracer.program(xs, result, single=len(result) == 1)


def vjp(program: Program, wrt=None) -> Program:
    positions = _positions(program, wrt, "vjp")
    with Tracer() as tracer:
        xs, env = _replay(tracer, program)
        floats = [v for v in program.outputs if v.dtype.kind == "f" and not v.is_constant]
        cts = [tracer.input(np.ones(v.shape, v.dtype), f"ct_{v.name}") for v in floats]
        seeds = {v.index: c for v, c in zip(floats, cts, strict=True)}
        grads = _pull_back(program, env, seeds, positions)
        outs = [grads[k] for k in positions]
    result = [output(tracer, o, k) for k, o in enumerate(outs)]
    return tracer.program([*xs, *cts], result, single=len(result) == 1)


def jvp(program: Program, wrt=None) -> Program:
    positions = _positions(program, wrt, "jvp")
    with Tracer() as tracer:
        xs, env = _replay(tracer, program)
        tangents = {}
        for k in positions:
            v = program.inputs[k]
            tangents[v.index] = tracer.input(np.ones(v.shape, v.dtype), f"t_{v.name}")
        tangent_inputs = list(tangents.values())
        _push_forward(program, env, tangents)
        outs = [env[v.index] for v in program.outputs]
        outs += [_tangent_or_zeros(tangents, v) for v in program.outputs]
    result = [output(tracer, o, k) for k, o in enumerate(outs)]
    return tracer.program([*xs, *tangent_inputs], result, single=False)


def _positions(program: Program, wrt, where: str) -> list[int]:
    """The input positions to differentiate with respect to (indices or names)."""
    names = [v.name for v in program.inputs]
    if wrt is None:
        return [k for k, v in enumerate(program.inputs) if v.dtype.kind == "f"]
    items = wrt if isinstance(wrt, tuple | list) else (wrt,)
    positions = []
    for w in items:
        k = names.index(w) if isinstance(w, str) and w in names else w
        if not isinstance(k, int) or isinstance(k, bool) or not 0 <= k < len(names):
            raise ValueError(
                f"program.{where}: wrt {w!r:.30} is not an input; the inputs are "
                f"{', '.join(names)} (give names or positions)"
            )
        if program.inputs[k].dtype.kind != "f":
            raise TypeError(
                f"program.{where}: input {names[k]} is {program.inputs[k].dtype}; only float "
                "inputs have derivatives"
            )
        positions.append(k)
    return positions


def _replay(tracer: Tracer, program: Program):
    """Trace the primal program again (new symbols for its inputs): its instructions come
    first in the derived program. Returns the input symbols and the values by var index."""
    xs = [
        tracer.input(np.asarray(e), v.name)
        for v, e in zip(program.inputs, program.examples, strict=True)
    ]
    env: dict[int, object] = {c.index: c.value for c in program.constants}
    env.update({v.index: x for v, x in zip(program.inputs, xs, strict=True)})
    for ins in program.instructions:
        env[ins.out.index] = ins.op(*[env[a.index] for a in ins.args])
    return xs, env


def _active(instructions, sources: set[int]) -> set[int]:
    """Var indices whose value depends differentiably on the `sources`."""
    active = set(sources)
    for ins in instructions:
        if ins.out.dtype.kind == "f" and getattr(ins.op, "differentiable", True):
            if any(a.index in active for a in ins.args):
                active.add(ins.out.index)
    return active


def _pull_back(program: Program, env: dict, seeds: dict, positions: list[int]) -> dict:
    """The gradient of each input position (zeros where the output does not depend on it)."""
    wrt = [program.inputs[k] for k in positions]
    cts = pull_back(program.instructions, env, seeds, wrt)
    return dict(zip(positions, cts, strict=True))


def pull_back(instructions, env: dict, seeds: dict, wrt: list[Var]) -> list:
    """Reverse sweep over `instructions` with the VJP rules on symbols (`env`: values by var
    index), from the cotangents `seeds` (by var index); the cotangent of each of `wrt`."""
    active = _active(instructions, {v.index for v in wrt})
    cts = dict(seeds)
    for ins in reversed(instructions):
        g = cts.pop(ins.out.index, None)
        if g is None:
            continue
        args = [env[a.index] for a in ins.args]
        for i, a in enumerate(ins.args):
            if a.index not in active:
                continue
            gx = ins.op.vjp(functional, i, g, env[ins.out.index], *args)
            gx = _fit(gx, a)
            cts[a.index] = gx if a.index not in cts else cts[a.index] + gx
    return [cts[v.index] if v.index in cts else _zeros(v) for v in wrt]


def _push_forward(program: Program, env: dict, tangents: dict) -> None:
    """Forward sweep with the JVP rules on symbols, filling `tangents` by var index."""
    for ins in program.instructions:
        if ins.out.dtype.kind != "f" or not getattr(ins.op, "differentiable", True):
            continue
        args = [env[a.index] for a in ins.args]
        total = None
        for i, a in enumerate(ins.args):
            dx = tangents.get(a.index)
            if dx is None:
                continue
            part = ins.op.jvp(functional, i, dx, env[ins.out.index], *args)
            total = part if total is None else total + part
        if total is not None:
            tangents[ins.out.index] = _fit_tangent(total, ins.out)


def _fit(g, v: Var):
    """A cotangent summed down to `v`'s shape and cast to its dtype (the engine's job, as in
    reverse mode)."""
    if not isinstance(g, Traced | functional.Tensor):
        g = np.asarray(g)
    if tuple(g.shape) != v.shape:
        g = unbroadcast(g, v.shape)
    if g.dtype != v.dtype:
        g = g.astype(v.dtype)
    return g


def _fit_tangent(t, v: Var):
    if tuple(np.shape(t)) != v.shape:
        t = functional.broadcast_to(t, v.shape)
    if t.dtype != v.dtype:
        t = t.astype(v.dtype)
    return t


def _tangent_or_zeros(tangents: dict, v: Var):
    t = tangents.get(v.index)
    return _zeros(v) if t is None else t


def _zeros(v: Var) -> np.ndarray:
    return np.zeros(v.shape, v.dtype)


def traced_value_and_grad(f, args, kwargs, argnums, has_aux: bool, name: str):
    """`value_and_grad(f)` applied to symbols: f's instructions are traced into the program
    being built, then its gradient by the VJP rules after them (a compiled training step)."""
    from minigrad import pytree

    tracer = current()
    single = not isinstance(argnums, tuple | list)
    positions = [argnums] if single else list(argnums)
    trees = [pytree.flatten(args[k], name) for k in positions]
    for k, (leaves, _) in zip(positions, trees, strict=True):
        for leaf in leaves:
            if type(leaf) is not Traced or leaf.tracer is not tracer or leaf.dtype.kind != "f":
                raise TypeError(
                    f"{name} inside a traced program: argument {k} must be float inputs of the "
                    f"program (symbols), got {type(leaf).__name__}; pass what you differentiate "
                    "as arguments of the compiled function"
                )
    start = len(tracer.instructions)
    result = f(*args, **kwargs)
    out, aux = result if has_aux else (result, None)
    if type(out) is not Traced or out.shape != () or out.dtype.kind != "f":
        raise TypeError(f"{name}: the function must return a scalar float Tensor, got {out!r:.60}")
    instructions = tracer.instructions[start:]
    env = {}
    for ins in instructions:
        for a in ins.args:
            env[a.index] = a.value if a.is_constant else tracer.symbols[a.index]
        env[ins.out.index] = tracer.symbols[ins.out.index]
    wrt = [leaf.var for leaves, _ in trees for leaf in leaves]
    cts = iter(pull_back(instructions, env, {out.var.index: np.ones((), out.dtype)}, wrt))
    gradients = [d.unflatten([next(cts) for _ in leaves]) for leaves, d in trees]
    gradient = gradients[0] if single else tuple(gradients)
    return ((out, aux) if has_aux else out), gradient
