"""Misuse table, this week's learner-facing API: `c += x` rebinding, NumPy dispatch (ufuncs,
functions, `out=`, `np.asarray`), the PyTorch/micrograd/JAX spellings (`.grad = 1.0`,
`__format__`, `label=`, `double float all any norm pow`, `allclose isclose`, `linalg.norm`,
`dot vdot outer`, `stop_gradient`, `set_grad_enabled`, `inference_mode`, `autograd.grad` and
`backward`, `backward(inputs=)`, `grad_fn`, lists as weak operands, comparisons), pytrees in
the transforms and optimisers, full backward hooks, loss shape warnings, the default generator
and Functions without backward; then wrong types, dtypes, NaN, empty inputs, aliasing,
threads, hostile strings, second order and forward mode through each of them.

Each case: a clear error naming the problem, or the right result checked against NumPy,
central differences or a value derived by hand (see tests/misuse.py). The table found 46
wrong or unclear answers when it was written (11 of them silently wrong numbers); each is a
case here, now passing.
"""

from __future__ import annotations

import collections
import re
import threading
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, numerical, optim, viz
from tests.misuse import bad, good, ids, leaf, run, same

X = np.array([1.0, 2.0])
HOSTILE = "a\"b'c\n<script>alert(1)</script>&amp;\\ \x00"


def close(expected, rtol=1e-7, atol=1e-10, dtype=None):
    """A check: the result (Tensor, array or number) is close to `expected`."""

    def check(result):
        data = result.data if isinstance(result, mg.Tensor) else np.asarray(result)
        np.testing.assert_allclose(data, expected, rtol=rtol, atol=atol, equal_nan=True)
        if dtype is not None:
            assert data.dtype == np.dtype(dtype), f"dtype {data.dtype}, expected {dtype}"
        return True

    return check


def tree_close(expected, rtol=1e-7, atol=1e-10):
    """A check: a pytree of tensors with `expected`'s structure and values."""

    def check(result):
        got, got_def = mg.pytree.flatten(result)
        want, want_def = mg.pytree.flatten(expected)
        assert got_def == want_def, f"structure {got_def!r}, expected {want_def!r}"
        for g, w in zip(got, want, strict=True):
            close(w, rtol, atol)(g)
        return True

    return check


def numeric_grad(f, x):
    """The gradient of scalar `f` (NumPy code) at `x` by central differences."""
    x = np.asarray(x, dtype=np.float64)
    (jac,) = numerical.central_jacobian(lambda a: np.asarray(f(a)), [x])
    return jac.reshape(x.shape)


def numeric_hessian(f, x):
    """The Hessian of scalar `f` at `x`: central differences of the analytic gradient."""
    x = np.asarray(x, dtype=np.float64)
    gradient = lambda a: mg.grad(f)(a).data  # noqa: E731
    (jac,) = numerical.central_jacobian(gradient, [x])
    return jac.reshape(x.shape + x.shape)


def numeric_jvp(f, x, u):
    """J u of `f` at `x` by central differences."""
    return numerical.central_directional(lambda a: np.asarray(f(a)), [x], [u])


def loud(fn):
    """Whether `fn()` refuses (a TypeError or RuntimeError about the gradient) or warns: a
    derivative dropped must never go unsaid. Returns "refused", "warned" or "silent"."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fn()
        except (TypeError, RuntimeError) as err:
            return "refused" if re.search("grad|dual|tangent", str(err)) else f"other: {err}"
    return "warned" if caught else "silent"


def not_silent(outcome):
    assert outcome in ("refused", "warned"), outcome
    return True


def dual(f, primal, tangent):
    """(primal, tangent) of f at a dual number built from float64 arrays."""
    with mg.dual_level():
        x = mg.make_dual(
            mg.tensor(np.asarray(primal, np.float64)), mg.tensor(np.asarray(tangent, np.float64))
        )
        return mg.unpack_dual(f(x))


def primal_tangent(primal, tangent, rtol=1e-7):
    def check(parts):
        close(primal, rtol)(parts.primal)
        close(tangent, rtol)(parts.tangent)
        return True

    return check


def in_threads(*targets, timeout=60.0):
    """Run each target in its own thread; re-raise the first error; fail on a hang."""
    errors = []

    def wrap(target):
        def body():
            try:
                target()
            except BaseException as err:  # noqa: BLE001 (reported in the main thread)
                errors.append(err)

        return body

    threads = [threading.Thread(target=wrap(t), daemon=True) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
        assert not t.is_alive(), "a thread hangs"
    if errors:
        raise errors[0]


# -- `c += x`: rebinding, refusals and in place -------------------------------------------
def _iop(a, b, symbol):
    if symbol == "+":
        a += b
    elif symbol == "-":
        a -= b
    elif symbol == "*":
        a *= b
    else:
        a /= b
    return a


def _rebind_grad(symbol):
    """c = 3x; c <op>= x; the gradient of sum(c) against d/dx of the same by hand."""
    x = leaf([1.0, 2.0])
    c = x * 3.0
    alias = c
    c = _iop(c, x, symbol)
    c.sum().backward()
    assert alias is not c and np.array_equal(alias.data, [3.0, 6.0]), "the alias changed"
    return x.grad


def _rebind_keeps_alias():
    x = leaf([1.0, 2.0])
    c = x * 1.0
    old = c
    c += 10.0
    return old.data.tolist(), c.data.tolist(), c is old


def _plain_in_place():
    c = mg.tensor([1.0, 2.0], dtype=np.float64)
    old = c
    c *= 3.0
    return c is old, old.data.tolist(), c._version


def _rebind_constant_by_leaf():
    c = mg.zeros(2, dtype=np.float64)
    old = c
    w = leaf([1.0, 2.0])
    c += w
    (c * c).sum().backward()
    return old.data.tolist(), w.grad.data.tolist()


def _iadd_under_no_grad():
    x = leaf([1.0, 2.0])
    c = x * 1.0
    y = (c * c).sum()
    with mg.no_grad():
        c += 1.0  # in place on a tensor the graph saved: backward must refuse
    y.backward()


def _iadd_in_grad_array(symbol):
    def f(x):
        x = _iop(x, 2.0, symbol)
        return (x * x).sum()

    return mg.grad(f)(np.array([1.0, 2.0]))


def _iadd_in_grad_tensor():
    def f(x):
        x *= 2.0
        return (x * x).sum()

    return mg.grad(f)(leaf([1.0, 2.0]))


def _iadd_in_hessian():
    def f(x):
        x += 1.0
        return (x**3).sum()

    return mg.hessian(f)(np.array([1.0, 2.0]))


def _iadd_nonleaf_in_grad_and_hessian():
    def f(x):
        y = x * 1.0
        y += 1.0
        y *= y
        return y.sum()

    x = np.array([1.0, 2.0])
    return np.concatenate([mg.grad(f)(x).data, mg.hessian(f)(x).data.reshape(-1)])


def _iadd_in_jvp():
    def f(x):
        x += 1.0
        return x * x

    return mg.jvp(f, (np.array([1.0, 2.0]),), (np.array([1.0, 0.0]),))[1]


def _zeros_accumulate_in_grad():
    def f(x):
        y = mg.zeros(2, dtype=np.float64)
        y += x
        y /= 2.0
        return (y**3).sum()

    return mg.grad(f)(np.array([2.0, 4.0]))


def _threads_rebind_and_no_grad():
    barrier = threading.Barrier(2, timeout=30)
    out = {}

    def off():
        with mg.set_grad_enabled(False):
            c = mg.zeros(2, dtype=np.float64)
            barrier.wait()
            before = c
            c += leaf([1.0, 2.0])  # grad mode off here: in place
            barrier.wait()
            out["off"] = (c is before, c.requires_grad)

    def on():
        barrier.wait()
        d = mg.zeros(2, dtype=np.float64)
        before = d
        d += leaf([1.0, 2.0])  # grad mode on here: rebinds
        barrier.wait()
        out["on"] = (d is before, d.requires_grad)

    in_threads(off, on)
    return out, mg.is_grad_enabled()


# -- NumPy dispatch ---------------------------------------------------------------------
def _np_array_copy():
    t = mg.tensor([1.0, 2.0], dtype=np.float64)
    a = np.array(t)  # np.array copies by default
    a[0] = 99.0
    return t


def _np_array_copy_then_backward():
    w = leaf([1.0, 2.0])
    x = mg.tensor([3.0, 4.0], dtype=np.float64)
    y = (w * x).sum()
    a = np.array(x)
    a[0] = 100.0
    y.backward()
    return w.grad


def _ufunc_at_leaf():
    x = leaf([1.0, 2.0])
    np.add.at(x, [0], 5.0)
    return x


def _ufunc_at_saved():
    w = leaf([1.0, 2.0])
    x = mg.tensor([3.0, 4.0], dtype=np.float64)
    y = (w * x).sum()
    np.add.at(x, [0], 100.0)
    y.backward()
    return w.grad


def _out_view():
    x = mg.tensor([1.0, 2.0, 3.0], dtype=np.float64)
    v = x[1:]
    r = np.add(v, 1.0, out=v)
    assert r is v and x._version == v._version == 1
    return x


def _out_base_after_view_graph():
    x = mg.tensor(np.arange(4.0))
    w = leaf([1.0, 1.0])
    y = (x[::2] * w).sum()
    np.multiply(x, 2.0, out=x)
    y.backward()


def _out_parameter_no_grad():
    p = leaf([1.0, 2.0])
    (p * p).sum().backward()
    with mg.no_grad():
        np.subtract(p, 0.1 * p.grad, out=p)
    return p


def _ndarray_iadd(requires_grad):
    a = np.zeros(2)
    a += mg.tensor([1.0, 2.0], dtype=np.float64, requires_grad=requires_grad)
    return a


def _micrograd_data_update():
    p = leaf([1.0, 2.0])
    (p * p).sum().backward()
    p.data += -0.1 * p.grad
    return p


def _grad_of(f, x):
    return mg.grad(f)(np.asarray(x, dtype=np.float64))


def _grad_vs_numeric(f, x):
    """(analytic, numeric) gradients of f at x, flattened side by side."""
    x = np.asarray(x, dtype=np.float64)
    return np.stack([mg.grad(f)(x).data.reshape(-1), numeric_grad(f, x).reshape(-1)])


def agrees(rtol=1e-6, atol=1e-8):
    def check(pair):
        np.testing.assert_allclose(pair[0], pair[1], rtol=rtol, atol=atol)
        return True

    return check


def _tensor_of_tensor_in_grad():
    return loud(lambda: mg.grad(lambda x: (mg.tensor(x) * x).sum())(np.array([3.0])))


def _tensor_of_dual():
    return loud(lambda: dual(lambda x: mg.tensor(x) * x, [3.0], [1.0]))


def _full_like_of_tensor_in_grad():
    return loud(lambda: mg.grad(lambda x: mg.full_like(x, x[0]).sum())(np.array([3.0])))


# -- spellings --------------------------------------------------------------------------
def _set_grad(t, value):
    t.grad = value
    return t.grad


def _lecture_manual_backprop():
    a = leaf(2.0)
    b = leaf(-3.0)
    L = a * b
    L.grad = 1.0
    a.grad = L.grad * b.data
    return a.grad


def _grad_set_then_accumulate():
    x = leaf(2.0)
    x.grad = 1.0
    (x * x).backward()
    return x.grad


def _backward_inputs_twice_listed(how):
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    if how == "backward":
        y.backward(inputs=[x, x])
    else:
        mg.autograd.backward([y], inputs=(x, x))
    return x.grad


def _backward_inputs_only_w():
    x = leaf([1.0, 2.0])
    w = leaf(3.0)
    (x * w).sum().backward(inputs=[w])
    return (x.grad is None, w.grad.item())


def _backward_inputs_create_graph():
    x = leaf(2.0)
    (x**3).backward(inputs=[x], create_graph=True)
    first = x.grad
    x.grad = None
    first.backward()
    return first.item(), x.grad.item()


def _grad_outputs_list_one(api):
    x = leaf([1.0, 2.0])
    y = x * 3.0
    v = mg.tensor([1.0, 10.0], dtype=np.float64)
    if api == "grad":
        return mg.autograd.grad(y, x, grad_outputs=[v])[0]
    mg.autograd.backward(y, grad_tensors=[v])
    return x.grad


def _autograd_second_order():
    x = leaf([1.0, 2.0])
    (g,) = mg.autograd.grad((x**3).sum(), x, create_graph=True)
    (h,) = mg.autograd.grad(g.sum(), x)
    return h


def _grad_wrt_grad_outputs():
    x = leaf([3.0])
    v = leaf(2.0)
    (g,) = mg.autograd.grad((x * x).sum(), x, grad_outputs=v, create_graph=True)
    return mg.autograd.grad(g.sum(), v)[0]


def _autograd_grad_no_accumulation():
    x = leaf([1.0, 2.0])
    mg.autograd.grad((x * x).sum(), x)
    return x.grad is None


def _grad_fn_walk():
    a = leaf(2.0)
    b = leaf(3.0)
    c = a * b + 1.0
    fn = c.grad_fn
    return (fn.name, fn.next_functions[0].name, fn.inputs[0].grad_fn.inputs[0] is a)


def _grad_fn_after_rebind():
    x = leaf(1.0)
    c = x * 2.0
    c -= 1.0
    return c.grad_fn.name


def _grad_fn_after_backward():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    return y.grad_fn.inputs[0].grad_fn.name


def _set_grad_enabled_decorator():
    @mg.set_grad_enabled(False)
    def f(x):
        return (x * 2).requires_grad

    return f(leaf(1.0)), mg.is_grad_enabled()


def _set_grad_enabled_generator():
    @mg.set_grad_enabled(False)
    def g():
        yield mg.is_grad_enabled()
        yield mg.is_grad_enabled()

    it = g()
    return next(it), mg.is_grad_enabled(), next(it)


def _set_grad_enabled_call():
    try:
        mg.set_grad_enabled(False)
        off = (leaf(1.0) * 2).requires_grad
    finally:
        mg.set_grad_enabled(True)
    return off, (leaf(1.0) * 2).requires_grad


def _records_under(context) -> bool:
    with context:
        return (leaf([1.0]) * 2).requires_grad


def _inference_mode_false():
    with mg.inference_mode(False):  # PyTorch's spelling: inference mode off, recording on
        return (leaf(1.0) * 2).requires_grad


def _grad_inside_inference_mode():
    with mg.inference_mode():
        return mg.grad(lambda x: (x**2).sum())(np.array([3.0]))


def _asarray_in_no_grad_shares():
    x = leaf([3.0, 4.0])
    with mg.inference_mode():
        a = np.asarray(x)
    return a is x.data or np.shares_memory(a, x.data)


def _stop_gradient_alias():
    x = mg.tensor([1.0, 2.0], dtype=np.float64)
    w = leaf([1.0, 1.0])
    y = (w * x).sum()
    mg.stop_gradient(x).add_(10.0)  # the same memory: backward must notice
    y.backward()


# -- pytrees -----------------------------------------------------------------------------
P = collections.namedtuple("P", "w b")
PARAMS = {"w": np.array([1.0, -2.0]), "b": np.float64(0.5)}


def _tree_loss(p):
    return (np.tanh(p["w"] * 3.0 + p["b"]) ** 2).sum()


def _tree_loss_np(w, b):
    return np.sum(np.tanh(w * 3.0 + b) ** 2)


def _tree_numeric():
    w, b = PARAMS["w"], PARAMS["b"]
    dw = numeric_grad(lambda a: _tree_loss_np(a, b), w)
    db = numeric_grad(lambda a: _tree_loss_np(w, a), b)
    return {"b": db, "w": dw}


def _linearize_then_change(how):
    x = mg.tensor([1.0, 2.0], dtype=np.float64)
    _, f_jvp = mg.linearize(lambda x: x * x, x)
    if how == "add_":
        x.add_(10.0)
    else:
        x += 10.0
    return f_jvp(np.array([1.0, 1.0]))


def _linearize_array_then_change():
    x = np.array([1.0, 2.0])
    _, f_jvp = mg.linearize(lambda x: x * x, x)
    x += 10.0
    return f_jvp(np.array([1.0, 1.0]))


def _optimizer_step(params_of, steps=1, cls=optim.SGD, **options):
    p = leaf([1.0, 2.0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        opt = cls(params_of(p), **options)
    for _ in range(steps):
        opt.zero_grad()
        (p * p).sum().backward()
        opt.step()
    return p, [str(w.message) for w in caught]


def _stepped(expected, warned):
    def check(result):
        p, messages = result
        close(expected)(p)
        assert bool(messages) == warned, messages
        if warned:
            assert re.search("same parameter twice", messages[0]), messages
        return True

    return check


# -- hooks, losses, rng, Functions -------------------------------------------------------
class Scale(nn.Module):
    def forward(self, x):
        return x * 3.0


class AddOne(nn.Module):
    def forward(self, x):
        x += 1.0
        return x * 2.0


def _hook_then_rebind_output():
    m = Scale()
    seen = []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append(go[0].tolist()))
    x = leaf([1.0, 2.0])
    y = m(x)
    y += 1.0
    (y * y).sum().backward()
    return seen, x.grad.tolist()


def _hook_and_rebind_inside_forward():
    m = AddOne()
    m.register_full_backward_hook(lambda *a: None)
    x = leaf([1.0])
    m(x * 1.0).sum().backward()
    return x.grad


def _hook_with_rebound_input():
    m = Scale()
    seen = []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append(gi[0].tolist()))
    x = leaf([1.0, 2.0])
    c = mg.zeros(2, dtype=np.float64)
    c += x
    m(c).sum().backward()
    return seen, x.grad.tolist()


def _hook_replace(via):
    m = Scale()
    m.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 0.5,))
    if via == "grad":
        return mg.grad(lambda x: m(x).sum())(np.array([1.0, 2.0]))
    if via == "autograd":
        x = leaf([1.0, 2.0])
        return mg.autograd.grad(m(x).sum(), x)[0]
    x = leaf([1.0, 2.0])
    m(x).sum().backward(inputs=[x])
    return x.grad


def _hook_second_order():
    m = Scale()
    seen = []
    m.register_full_backward_hook(lambda mod, gi, go: seen.append(gi[0].requires_grad))
    x = leaf(2.0)
    (g,) = mg.autograd.grad(m(x) ** 2, x, create_graph=True)  # 18 x
    (h,) = mg.autograd.grad(g, x)
    return seen[0], g.item(), h.item()


def _hook_bad_return(value):
    m = Scale()
    m.register_full_backward_hook(lambda mod, gi, go: value(gi))
    x = mg.tensor([1.0, 2.0], requires_grad=True)  # float32
    m(x).sum().backward()


def _hook_raises():
    m = Scale()

    def hook(mod, gi, go):
        raise RuntimeError("my hook failed")

    m.register_full_backward_hook(hook)
    try:
        m(leaf([1.0])).sum().backward()
    except RuntimeError as err:
        return str(err), getattr(err, "__notes__", [])


def _hook_remove_twice():
    m = Scale()
    seen = []
    handle = m.register_full_backward_hook(lambda *a: seen.append(1))
    handle.remove()
    handle.remove()
    m(leaf([1.0])).sum().backward()
    return seen


def _loss_warning(loss, pred_shape, target_shape):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = loss(mg.zeros(*pred_shape), mg.ones(*target_shape))
    return value.item(), [str(w.message) for w in caught]


def _warned(value, pattern):
    def check(result):
        v, messages = result
        assert v == value, v
        assert len(messages) == 1 and re.search(pattern, messages[0], re.S), messages
        return True

    return check


def _seed_stream(seed):
    mg.manual_seed(seed)
    a = mg.randn(4, dtype=np.float64).data
    return np.array_equal(a, np.random.default_rng(seed).standard_normal(4))


def _seed_threads():
    """manual_seed and default draws racing in threads leave the generator usable: afterwards
    manual_seed(7) gives default_rng(7)'s numbers; explicit generators are never disturbed."""
    explicit = []

    def reseeder():
        for s in range(200):
            mg.manual_seed(s)
            mg.randn(3)

    def drawer():
        rng = np.random.default_rng(3)
        explicit.append(np.concatenate([mg.randn(3, rng=rng).data for _ in range(200)]))

    in_threads(reseeder, reseeder, drawer)
    rng = np.random.default_rng(3)
    expected = np.concatenate([rng.standard_normal(3).astype(np.float32) for _ in range(200)])
    return np.array_equal(explicit[0], expected) and _seed_stream(7)


def _threads_grad_mode():
    barrier = threading.Barrier(2, timeout=30)
    out = {}

    def off():
        mg.set_grad_enabled(False)
        barrier.wait()
        barrier.wait()
        out["off"] = (leaf(1.0) * 2).requires_grad

    def on():
        barrier.wait()
        out["on"] = (leaf(1.0) * 2).requires_grad
        out["grad"] = mg.grad(lambda x: (x**2).sum())(np.array([3.0])).item()
        barrier.wait()

    in_threads(off, on)
    return out, mg.is_grad_enabled()


def _threads_accumulate_inputs():
    x = leaf([1.0, 2.0])

    def work():
        for _ in range(50):
            (x * x).sum().backward(inputs=[x])

    in_threads(*[work] * 4)
    return x.grad


class ExpFwd(mg.Function):
    """exp for forward mode only (no backward), as in PyTorch's forward-AD tutorial."""

    @staticmethod
    def forward(ctx, x):
        ctx.result = np.exp(x)
        return ctx.result

    @staticmethod
    def jvp(ctx, dx):
        return dx * ctx.result


def _hook_threads():
    """One module with a full backward hook, called and backpropagated in four threads at
    once: every pass calls the hook once, with that pass's gradient (the weight)."""
    m = nn.Linear(2, 1, rng=np.random.default_rng(0))
    lock = threading.Lock()
    seen = []

    def hook(mod, gi, go):
        with lock:
            seen.append(gi[0].data.copy())

    m.register_full_backward_hook(hook)

    def work(k):
        def body():
            for _ in range(50):
                x = mg.tensor(np.full((1, 2), float(k)), requires_grad=True)
                m(x).sum().backward()

        return body

    in_threads(*[work(k) for k in range(4)])
    return len(seen), all(np.allclose(s, m.weight.data) for s in seen)


# -- forward mode and second order through the new spellings ------------------------------
def _hessian_of(f, x):
    x = np.asarray(x, dtype=np.float64)
    return np.stack([mg.hessian(f)(x).data, numeric_hessian(f, x)])


def _vdot_quadratic(x):
    A = np.array([[2.0, 1.0], [0.5, 3.0]])
    return mg.vdot(x, mg.dot(A, x))


# -- hostile strings ---------------------------------------------------------------------
def _viz_source(name):
    t = mg.tensor(1.0, requires_grad=True, label=name)
    return viz.draw(t * 2).source


def _escaped(source):
    assert "<script>" not in source and "&lt;script&gt;" in source
    assert "\x00" not in source
    return True


CASES = [
    # -- in place: `c += x` rebinds where a derivative flows -------------------------------
    good("rebind/add", lambda: _rebind_grad("+"), same([4.0, 4.0])),
    good("rebind/sub", lambda: _rebind_grad("-"), same([2.0, 2.0])),
    good("rebind/mul", lambda: _rebind_grad("*"), same([6.0, 12.0])),  # d(3x^2) = 6x
    good("rebind/div", lambda: _rebind_grad("/"), same([0.0, 0.0])),  # 3x / x = 3
    good(
        "rebind/alias-keeps-old",
        _rebind_keeps_alias,
        lambda r: r == ([1.0, 2.0], [11.0, 12.0], False),
    ),
    good("rebind/plain-in-place", _plain_in_place, lambda r: r == (True, [3.0, 6.0], 1)),
    good("rebind/constant-by-leaf", _rebind_constant_by_leaf, lambda r: r == ([0, 0], [2, 4])),
    bad(
        "rebind/parameter",
        lambda: _iop(leaf([1.0]), 1.0, "*"),
        RuntimeError,
        r"`x \*= \.\.\.` on a leaf tensor that requires grad.*mg.no_grad\(\)",
    ),
    bad(
        "rebind/view-of-result",
        lambda: _iop((leaf([1.0, 2.0]) * 2)[0:1], 1.0, "+"),
        RuntimeError,
        r"shares its memory with a view.*`x = x \+ \.\.\.`",
    ),
    bad(
        "rebind/base-of-view",
        lambda: (lambda c: (c[1:], _iop(c, leaf([1.0, 2.0, 3.0]), "+")))(mg.zeros(3)),
        RuntimeError,
        "shares its memory with a view",
    ),
    bad(
        "rebind/no-grad-then-backward",
        _iadd_under_no_grad,
        RuntimeError,
        "changed in place afterwards",
    ),
    bad(
        "rebind/int-plus-float-in-place",
        lambda: _iop(mg.tensor([1, 2]), 0.5, "+"),
        TypeError,
        r"add_: .*Cannot cast.*int64",
    ),
    bad(
        "rebind/shape-in-place",
        lambda: _iop(mg.zeros(3), np.ones(2), "-"),
        ValueError,
        r"sub_: .*tensor shape \(3,\).*other shape \(2,\)",
    ),
    bad(
        "rebind/str-operand",
        lambda: _iop(mg.zeros(2), "a", "+"),
        TypeError,
        r"add_: ",
    ),
    good(
        "rebind/dual-operand",
        lambda: dual(lambda x: _iop(mg.zeros(1, dtype=np.float64), x, "+"), [3.0], [1.0]),
        primal_tangent([3.0], [1.0]),
    ),
    good(
        "rebind/dual-self",
        lambda: dual(lambda x: _iop(x * 1.0, x, "*"), [3.0], [1.0]),
        primal_tangent([9.0], [6.0]),
    ),
    good("rebind/inside-jvp", _iadd_in_jvp, same([4.0, 0.0])),
    good(
        "rebind/nonleaf-in-grad-and-hessian",
        _iadd_nonleaf_in_grad_and_hessian,
        same([4.0, 6.0, 2.0, 0.0, 0.0, 2.0]),
    ),
    good("rebind/zeros-accumulator-in-grad", _zeros_accumulate_in_grad, same([1.5, 6.0])),
    good("rebind/argument-in-grad", lambda: _iadd_in_grad_array("+"), same([6.0, 8.0])),
    good("rebind/argument-in-grad-mul", lambda: _iadd_in_grad_array("*"), same([8.0, 16.0])),
    good("rebind/tensor-argument-in-grad", _iadd_in_grad_tensor, same([8.0, 16.0])),
    good("rebind/argument-in-hessian", _iadd_in_hessian, same([[12.0, 0.0], [0.0, 18.0]])),
    good(
        "threads/rebind-vs-no-grad",
        _threads_rebind_and_no_grad,
        lambda r: r == ({"off": (True, False), "on": (False, True)}, True),
    ),
    # -- NumPy dispatch ------------------------------------------------------------------
    good(
        "numpy/tanh-sum-grad",
        lambda: _grad_vs_numeric(lambda x: np.sum(np.tanh(x) ** 2), [0.5, -1.0]),
        agrees(),
    ),
    good(
        "numpy/array-operand-left",
        lambda: _grad_vs_numeric(lambda x: np.sum(np.array([2.0, 3.0]) * x), [0.5, -1.0]),
        agrees(),
    ),
    good(
        "numpy/matmul-operator",
        lambda: _grad_vs_numeric(lambda x: np.sum(np.eye(2) * 2.0 @ x), [0.5, -1.0]),
        agrees(),
    ),
    good(
        "numpy/tan-reciprocal-square",
        lambda: _grad_vs_numeric(
            lambda x: np.sum(np.tan(x) + np.reciprocal(x) + np.square(x)), [0.5, 1.2]
        ),
        agrees(),
    ),
    good(
        "numpy/reductions-keepdims",
        lambda: _grad_vs_numeric(
            lambda x: (
                np.sum(np.mean(x.reshape(2, 2), axis=0, keepdims=True) ** 2) + np.var(x) + np.std(x)
            ),
            [0.5, 1.2, -0.3, 2.0],
        ),
        agrees(),
    ),
    good(
        "numpy/max-ties-split",
        lambda: _grad_of(lambda x: np.max(x), [3.0, 3.0, 1.0]),
        same([0.5, 0.5, 0.0]),
    ),
    good(
        "numpy/maximum-reduce-ties",
        lambda: _grad_of(lambda x: np.maximum.reduce(x), [3.0, 3.0, 1.0]),
        same([0.5, 0.5, 0.0]),
    ),
    good(
        "numpy/multiply-reduce-zero",
        lambda: _grad_of(lambda x: np.multiply.reduce(x), [0.0, 2.0, 3.0]),
        same([6.0, 0.0, 0.0]),
    ),
    good(
        "numpy/add-reduce-axis-none",
        lambda: np.add.reduce(mg.tensor(np.arange(6.0).reshape(2, 3)), axis=None),
        same(15.0),
    ),
    good(
        "numpy/where-clip-concatenate",
        lambda: _grad_vs_numeric(
            lambda x: np.sum(
                np.where(x > 0.0, x, x * x) + np.clip(x, None, 1.0) + np.concatenate([x, x])[1:4]
            ),
            [0.5, -1.5, 2.0],
        ),
        agrees(),
    ),
    good(
        "numpy/linalg-norm-axis",
        lambda: _grad_vs_numeric(
            lambda x: np.sum(np.linalg.norm(x.reshape(2, 2), axis=1)), [3.0, 4.0, 1.0, -2.0]
        ),
        agrees(),
    ),
    good(
        "numpy/dot-vdot-outer",
        lambda: _grad_vs_numeric(
            lambda x: np.dot(x, x) + np.vdot(x, x[::-1]) + np.sum(np.outer(x, x) ** 2),
            [0.5, -1.0],
        ),
        agrees(),
    ),
    good(
        "numpy/isclose-allclose-constant",
        lambda: (np.allclose(leaf([1.0]), [1.0]), np.isclose(leaf([1.0]), 1.0).requires_grad),
        lambda r: r == (True, False),
    ),
    good("numpy/sign-is-constant", lambda: _grad_of(lambda x: np.sign(x) * x, [-2.0]), same(-1.0)),
    good("numpy/floor-of-plain", lambda: np.floor(mg.tensor([2.5, -1.5])), same([2.0, -2.0])),
    bad(
        "numpy/floor-of-leaf",
        lambda: np.floor(leaf([2.5])),
        TypeError,
        r"np.floor on a tensor that requires grad.*detach",
    ),
    bad("numpy/sort", lambda: np.sort(leaf([2.0, 1.0])), TypeError, r"np.sort .*requires grad"),
    bad("numpy/copy", lambda: np.copy(leaf([2.0])), TypeError, r"np.copy .*requires grad"),
    bad(
        "numpy/add-accumulate",
        lambda: np.add.accumulate(leaf([1.0, 2.0])),
        TypeError,
        r"np.add.accumulate on a tensor that requires grad",
    ),
    bad(
        "numpy/keyword-dtype",
        lambda: np.add(leaf([1.0]), 1.0, dtype=np.float32),
        TypeError,
        "np.add .*with these keyword arguments",
    ),
    bad(
        "numpy/keyword-where",
        lambda: np.exp(leaf([1.0]), where=np.array([False])),
        TypeError,
        "np.exp .*with these keyword arguments",
    ),
    bad(
        "numpy/mean-dtype",
        lambda: np.mean(leaf([2.0, 1.0]), dtype=np.float64),
        TypeError,
        "minigrad's mean does not take these arguments",
    ),
    bad(
        "numpy/einsum-diagonal",
        lambda: np.einsum("ii", leaf(np.eye(2))),
        ValueError,
        "einsum: an index repeats",
    ),
    bad(
        "numpy/asarray-of-leaf",
        lambda: np.asarray(leaf([1.0])),
        TypeError,
        r"would drop its gradient.*mg.stack",
    ),
    bad(
        "numpy/array-of-items-in-grad",
        lambda: mg.grad(lambda x: np.array([x[0], x[1]]).sum())(np.array([3.0, 4.0])),
        TypeError,
        r"would drop its gradient.*mg.stack",
    ),
    bad(
        "numpy/asarray-of-dual",
        lambda: dual(np.asarray, [1.0], [1.0]),
        TypeError,
        "would drop its gradient",
    ),
    good("numpy/asarray-in-inference-mode", _asarray_in_no_grad_shares, same(True)),
    good("numpy/np-array-copies", _np_array_copy, same([1.0, 2.0])),
    good("numpy/np-array-copy-gradient", _np_array_copy_then_backward, same([3.0, 4.0])),
    bad(
        "numpy/ufunc-at-parameter",
        _ufunc_at_leaf,
        (RuntimeError, TypeError),
        r"np\.add\.at",
    ),
    bad("numpy/ufunc-at-saved", _ufunc_at_saved, RuntimeError, "changed in place"),
    good("numpy/out-view", _out_view, same([1.0, 3.0, 4.0])),
    bad(
        "numpy/out-base-after-view-graph",
        _out_base_after_view_graph,
        RuntimeError,
        "changed in place afterwards",
    ),
    bad(
        "numpy/out-parameter",
        lambda: np.subtract(leaf([1.0]), 0.1, out=leaf([1.0])),
        RuntimeError,
        r"np.subtract\(\.\.\., out=x\): .*parameter.*mg.no_grad",
    ),
    good("numpy/out-parameter-no-grad", _out_parameter_no_grad, same([0.8, 1.6])),
    bad(
        "numpy/out-array-with-grad",
        lambda: np.add(leaf([1.0]), 1.0, out=np.zeros(1)),
        TypeError,
        r"np.add .*out=",
    ),
    bad(
        "numpy/ndarray-iadd-leaf",
        lambda: _ndarray_iadd(True),
        TypeError,
        r"np.add .*out=",
    ),
    good("numpy/ndarray-iadd-plain", lambda: _ndarray_iadd(False), same([1.0, 2.0])),
    good("numpy/micrograd-data-update", _micrograd_data_update, same([0.8, 1.6])),
    bad(
        "numpy/out-two-tensors",
        lambda: np.divmod(mg.tensor([1.0]), 1.0, out=(mg.tensor([1.0]), mg.tensor([1.0]))),
        TypeError,
        r"np.divmod: out= takes one tensor; write `x, y = np.divmod\(...\)`",
    ),
    bad(
        "numpy/out-int-tensor",
        lambda: np.add(mg.tensor([1, 2]), 0.5, out=mg.tensor([1, 2])),
        TypeError,
        r"np.add.*Cannot cast.*int64",
    ),
    bad(
        "numpy/out-shape",
        lambda: np.add(mg.tensor([1.0, 2.0]), [1.0, 2.0, 3.0], out=mg.tensor([1.0, 2.0])),
        ValueError,
        r"np.add.*\(2,\)",
    ),
    bad(
        "numpy/out-broadcast-view",
        lambda: (lambda v: np.add(v, 1.0, out=v))(mg.broadcast_to(mg.tensor([1.0]), (3,))),
        ValueError,
        "read-only",
    ),
    bad(
        "numpy/out-reduce",
        lambda: (lambda t: np.add.reduce(t, out=t[:1]))(mg.tensor([1.0, 2.0])),
        ValueError,
        r"np.add.reduce\(..., out=x\): .*wrong number of dimensions",
    ),
    good(
        "numpy/out-reduce-into-a-row",
        lambda: (lambda t: (np.add.reduce(t, out=t[0]), t)[1])(mg.tensor([[1.0, 2.0], [3.0, 4.0]])),
        same([[4.0, 6.0], [3.0, 4.0]]),
    ),
    good(
        "numpy/prod-positional-dtype",
        lambda: np.prod(mg.tensor(np.arange(6.0).reshape(2, 3)), 0, np.float64),
        same(np.prod(np.arange(6.0).reshape(2, 3), 0, np.float64)),
    ),
    good(
        "numpy/var-positional-dtype",
        lambda: np.var(mg.tensor([1.0, 2.0]), 0, np.float64),  # a constant: NumPy's answer
        same(0.25, np.float64),
    ),
    bad(
        "numpy/var-positional-dtype-grad",
        lambda: np.var(leaf([1.0, 2.0]), 0, np.float64),
        TypeError,
        r"np\.var on a tensor that requires grad: minigrad's var does not take these arguments",
    ),
    bad(
        "numpy/linalg-det-name",
        lambda: np.linalg.det(leaf(np.eye(2))),
        TypeError,
        r"np\.linalg\.det on a tensor",
    ),
    good("numpy/tensor-of-tensor-in-grad", _tensor_of_tensor_in_grad, not_silent),
    good("numpy/tensor-of-dual", _tensor_of_dual, not_silent),
    good("numpy/full-like-tensor-fill", _full_like_of_tensor_in_grad, not_silent),
    bad(
        "optim/none-parameter",
        lambda: optim.SGD([leaf([1.0]), None], lr=0.1),
        TypeError,
        r"SGD: params\[1\] is None, not a Tensor",
    ),
    bad(
        "optim/none-in-a-dict-list",
        lambda: optim.SGD({"w": leaf([1.0]), "b": [leaf([1.0]), None]}, lr=0.1),
        TypeError,
        r"SGD: params\['b'\]\[1\] is None, not a Tensor",
    ),
    good(
        "optim/none-dict-entry-is-empty",
        lambda: len(optim.SGD({"w": leaf([1.0]), "frozen": None}, lr=0.1).params),
        same(1),
    ),
    good(
        "numpy/reciprocal-int-as-numpy",
        lambda: np.reciprocal(mg.tensor([1, 2, -1])),
        same(np.reciprocal(np.array([1, 2, -1]))),
    ),
    # -- .grad = number, label, format ---------------------------------------------------
    good("grad/set-one-0d", lambda: _set_grad(leaf(2.0), 1.0), same(1.0, np.float64)),
    good("grad/set-one-0d-f32", lambda: _set_grad(leaf(2.0, np.float32), 1.0), same(1.0, "f4")),
    good("grad/set-nan-0d", lambda: _set_grad(leaf(2.0), float("nan")), same(np.nan)),
    good("grad/set-int-0d", lambda: _set_grad(leaf(2.0), 3), same(3.0, np.float64)),
    good(
        "grad/set-zero-empty",
        lambda: _set_grad(leaf(np.zeros((0, 2))), 0.0),
        same(np.zeros((0, 2))),
    ),
    good("grad/set-neg-zero", lambda: _set_grad(leaf([1.0, 2.0]), -0.0), same([0.0, 0.0])),
    bad(
        "grad/set-one-shape-1",
        lambda: _set_grad(leaf([2.0]), 1.0),
        TypeError,
        r"a number \(to a 0-d float tensor\) or a Tensor of shape \(1,\)",
    ),
    bad("grad/set-true-0d", lambda: _set_grad(leaf(2.0), True), TypeError, "not bool True"),
    bad("grad/set-complex-0d", lambda: _set_grad(leaf(2.0), 1 + 2j), TypeError, "complex"),
    bad("grad/set-str-0d", lambda: _set_grad(leaf(2.0), "1.0"), TypeError, "not str"),
    bad(
        "grad/set-f32-tensor-0d",
        lambda: _set_grad(leaf(2.0), mg.tensor(1.0)),
        ValueError,
        r"dtype float64, got shape \(\) and dtype float32",
    ),
    bad("grad/set-int-tensor", lambda: _set_grad(mg.tensor(3), 1.5), TypeError, "int64"),
    good("grad/lecture-manual-backprop", _lecture_manual_backprop, same(-3.0)),
    good("grad/set-then-accumulate", _grad_set_then_accumulate, same(5.0)),
    good("format/scalar", lambda: f"{leaf(2.5):.4f}", lambda s: s == "2.5000"),
    good("format/vector", lambda: f"{leaf([1.0, 2.5]):.2f}", lambda s: s == "tensor([1.00, 2.50])"),
    good("format/one-element-2d", lambda: f"{mg.tensor([[1.5]]):.3f}", lambda s: s == "1.500"),
    good("format/int-as-float", lambda: f"{mg.tensor(3):.2f}", lambda s: s == "3.00"),
    good("format/nan", lambda: f"{mg.tensor(np.nan):.2f}", lambda s: s == "nan"),
    good("format/empty", lambda: f"{mg.tensor([]):.2f}", lambda s: s == "tensor([])"),
    good(
        "format/no-spec-is-str", lambda: f"{mg.tensor([1.0])}", lambda s: s == str(mg.tensor([1.0]))
    ),
    good(
        "format/dual-primal",
        lambda: dual(lambda x: mg.tensor(float(f"{x.sum():.1f}")) + x, [3.0], [1.0]),
        primal_tangent([6.0], [1.0]),
    ),
    bad("format/int-code", lambda: f"{leaf(2.5):d}", ValueError, "Unknown format code 'd'"),
    bad("format/garbage", lambda: format(mg.tensor([1.0, 2.0]), "{}"), ValueError, "format"),
    good("label/alias-of-name", lambda: mg.tensor(1.0, label="a").name, lambda n: n == "a"),
    good("label/setter", lambda: _relabel(mg.tensor(1.0), "e"), lambda n: n == "e"),
    bad("label/int", lambda: mg.tensor(1.0, label=5), TypeError, "must be a str or None"),
    bad("label/setter-int", lambda: _relabel(mg.tensor(1.0), 5), TypeError, "label must be a str"),
    bad(
        "label/name-and-label-differ",
        lambda: mg.tensor(1.0, label="a", name="b"),
        TypeError,
        "are one thing; give one",
    ),
    # -- double, float, all, any, norm, pow ---------------------------------------------
    good(
        "method/double-grad-dtype",
        lambda: grad_dtype(lambda x: (x.double() * 2).sum(), np.float32),
        lambda g: g.dtype == np.float32 and g.tolist() == [2.0],
    ),
    good(
        "method/float-grad-dtype",
        lambda: grad_dtype(lambda x: (x.float() * 2).sum(), np.float64),
        lambda g: g.dtype == np.float64 and g.tolist() == [2.0],
    ),
    good("method/double-of-int", lambda: mg.tensor([1, 2]).double(), same([1, 2], np.float64)),
    good("method/float-of-bool", lambda: mg.tensor([True]).float(), same([1.0], np.float32)),
    bad("method/double-arg", lambda: mg.tensor([1.0]).double(np.float32), TypeError, "double"),
    good("method/all-axis", lambda: mg.tensor([[1.0, 0.0]]).all(axis=1), same([False])),
    good("method/any-keepdims", lambda: mg.tensor([[1.0, 0.0]]).any(0, True), same([[1, 0]])),
    good("method/all-empty", lambda: mg.tensor([]).all(), same(True)),
    good("method/any-nan", lambda: mg.tensor([np.nan]).any(), same(True)),
    good("method/all-no-grad", lambda: leaf([1.0]).all().requires_grad, same(False)),
    bad("method/all-axis-range", lambda: mg.tensor([1.0]).all(axis=3), ValueError, r"^all: "),
    bad(
        "method/any-keepdims-str",
        lambda: mg.tensor([1.0]).any(keepdims="no"),
        TypeError,
        r"^any: ",
    ),
    bad("method/argmax-empty", lambda: mg.tensor([]).argmax(), ValueError, r"^argmax: "),
    good("method/pow", lambda: _grad_of(lambda x: x.pow(3).sum(), [2.0]), same([12.0])),
    good(
        "method/pow-tensor-exponent",
        lambda: _grad_of(lambda x: mg.tensor(2.0, dtype=np.float64).pow(x).sum(), [3.0]),
        close([8.0 * np.log(2.0)]),
    ),
    good("method/pow-0-at-0", lambda: _grad_of(lambda x: x.pow(0).sum(), [0.0]), same([0.0])),
    good("method/pow-list", lambda: leaf([2.0, 3.0]).pow([2.0, 3.0]), same([4.0, 27.0])),
    bad("method/pow-str", lambda: leaf([2.0]).pow("2"), TypeError, r"power: .*str '2'"),
    bad("method/pow-int-negative", lambda: mg.tensor([2]).pow(-1), ValueError, "power: Integers"),
    good("method/norm", lambda: _grad_of(lambda x: x.norm(), [3.0, 4.0]), same([0.6, 0.8])),
    # -- mg.linalg.norm -----------------------------------------------------------------
    good("norm/zero-grad", lambda: _grad_of(mg.linalg.norm, [0.0, 0.0]), same([0.0, 0.0])),
    good(
        "norm/zero-hessian", lambda: mg.hessian(mg.linalg.norm)(np.zeros(2)), same(np.zeros((2, 2)))
    ),
    good(
        "norm/squared-hessian-at-zero",
        lambda: mg.hessian(lambda x: mg.linalg.norm(x) ** 2)(np.zeros(2)),
        same(np.zeros((2, 2))),
    ),
    good(
        "norm/hessian-vs-numeric",
        lambda: _hessian_of(mg.linalg.norm, [3.0, 4.0]),
        lambda h: np.testing.assert_allclose(h[0], h[1], rtol=1e-6, atol=1e-8) is None,
    ),
    good(
        "norm/hessian-by-hand",
        lambda: mg.hessian(mg.linalg.norm)(np.array([3.0, 4.0])),
        close((np.eye(2) - np.outer([0.6, 0.8], [0.6, 0.8])) / 5.0),
    ),
    good(
        "norm/ord-3-hessian",
        lambda: _hessian_of(lambda x: mg.linalg.norm(x, 3), [1.0, 2.0]),
        lambda h: np.testing.assert_allclose(h[0], h[1], rtol=1e-6, atol=1e-8) is None,
    ),
    good(
        "norm/inf-ties",
        lambda: _grad_of(lambda x: mg.linalg.norm(x, np.inf), [-2.0, 2.0]),
        same([-0.5, 0.5]),
    ),
    good(
        "norm/ord-0-constant",
        lambda: _grad_of(lambda x: mg.linalg.norm(x, 0), [0.0, 2.0]),
        same([0.0, 0.0]),
    ),
    good(
        "norm/matrix-ord-1-vs-numpy",
        lambda: mg.linalg.norm(mg.tensor(np.array([[1.0, -2.0], [3.0, 4.0]])), 1),
        same(np.linalg.norm(np.array([[1.0, -2.0], [3.0, 4.0]]), 1)),
    ),
    good(
        "norm/matrix-axes-keepdims-vs-numpy",
        lambda: mg.linalg.norm(mg.tensor(np.arange(6.0).reshape(2, 3)), -np.inf, (1, 0), True),
        same(np.linalg.norm(np.arange(6.0).reshape(2, 3), -np.inf, (1, 0), True)),
    ),
    bad(
        "norm/negative-ord-refused",
        lambda: mg.linalg.norm(mg.tensor(X), -2),
        ValueError,
        r"norm: ord=-2 is not a vector norm.*p > 1",
    ),
    good("norm/nan", lambda: _grad_of(mg.linalg.norm, [np.nan, 1.0]), same([np.nan, np.nan])),
    good("norm/empty", lambda: mg.linalg.norm(mg.tensor(np.zeros(0))), same(0.0)),
    bad(
        "norm/empty-inf",
        lambda: mg.linalg.norm(mg.tensor(np.zeros(0)), np.inf),
        ValueError,
        "empty",
    ),
    bad(
        "norm/nuclear",
        lambda: mg.linalg.norm(mg.tensor(np.eye(2)), "nuc"),
        ValueError,
        "singular values",
    ),
    bad(
        "norm/ord-str", lambda: mg.linalg.norm(mg.tensor(X), "two"), ValueError, r"norm: ord='two'"
    ),
    bad("norm/ord-nan", lambda: mg.linalg.norm(mg.tensor(X), np.nan), ValueError, "norm: ord=nan"),
    bad(
        "norm/axis-range",
        lambda: mg.linalg.norm(mg.tensor(X), axis=2),
        ValueError,
        "axis 2 is out of bounds",
    ),
    bad(
        "norm/axis-twice",
        lambda: mg.linalg.norm(mg.tensor(np.ones((2, 2))), axis=(0, 0)),
        ValueError,
        "repeated axis",
    ),
    good(
        "norm/int8-no-overflow",
        lambda: mg.linalg.norm(mg.tensor(np.array([100], np.int8))),
        same(100.0),
    ),
    good(
        "norm/uint8-no-overflow-np",
        lambda: np.linalg.norm(mg.tensor(np.array([200, 0], np.uint8))),
        same(200.0),
    ),
    bad(
        "norm/negative-ord-at-zero-refused",
        lambda: _grad_of(lambda x: mg.linalg.norm(x, -1), [0.0, 2.0]),
        ValueError,
        r"for p < 1 the derivative at 0 is infinite",
    ),
    bad("norm/none", lambda: mg.linalg.norm(None), TypeError, r"^norm: "),
    # -- allclose, isclose --------------------------------------------------------------
    good(
        "close/x64-list-exact",
        lambda: mg.allclose(mg.tensor(X) + 1e-9, [1.0, 2.0], rtol=0, atol=1e-10),
        same(False),
    ),
    good(
        "close/f32-vs-f64-list",
        lambda: mg.allclose(mg.tensor([0.1]), [0.1], rtol=0, atol=0),
        same(np.allclose(np.float32(0.1), [0.1], rtol=0, atol=0)),
    ),
    good("close/nan", lambda: mg.allclose(mg.tensor([np.nan]), [np.nan]), same(False)),
    good(
        "close/nan-equal",
        lambda: mg.allclose(mg.tensor([np.nan]), [np.nan], equal_nan=True),
        same(True),
    ),
    good("close/empty", lambda: mg.allclose(mg.tensor([]), []), same(True)),
    good(
        "close/returns-bool",
        lambda: type(mg.allclose(leaf([1.0]), leaf([1.0]))),
        lambda t: t is bool,
    ),
    good(
        "close/asymmetric-as-numpy",
        lambda: mg.isclose(mg.tensor([1.0]), [1.1], rtol=0.095),
        same([np.isclose(1.0, 1.1, rtol=0.095)]),
    ),
    good(
        "close/dual",
        lambda: dual(lambda x: (mg.allclose(x, [3.0]), x)[1] * 2.0, [3.0], [1.0]),
        primal_tangent([6.0], [2.0]),
    ),
    bad("close/str", lambda: mg.allclose(mg.tensor([1.0]), "a"), TypeError, "str 'a'"),
    bad(
        "close/shapes",
        lambda: mg.allclose(mg.tensor(X), [1.0, 2.0, 3.0]),
        ValueError,
        r"^allclose: ",
    ),
    bad(
        "close/rtol-str",
        lambda: mg.allclose(mg.tensor([1.0]), [1.0], rtol="a"),
        TypeError,
        r"allclose: .*rtol",
    ),
    bad(
        "close/equal-nan-str",
        lambda: mg.allclose(mg.tensor([np.nan]), [np.nan], equal_nan="no"),
        TypeError,
        "equal_nan must be True or False",
    ),
    # -- dot, vdot, outer, stop_gradient -------------------------------------------------
    good("dot/scalar-vector", lambda: mg.dot(leaf(2.0), leaf([1.0, 2.0])), same([2.0, 4.0])),
    good("dot/lists", lambda: mg.dot([1.0, 2.0], [3.0, 4.0]), same(11.0)),
    good(
        "dot/bool-as-numpy",
        lambda: mg.dot(mg.tensor([True, False]), mg.tensor([True, True])),
        same(True),
    ),
    good("dot/empty", lambda: mg.dot(leaf(np.zeros(0)), leaf(np.zeros(0))), same(0.0)),
    bad(
        "dot/inner-differ",
        lambda: mg.dot(leaf(X), leaf([1.0, 2.0, 3.0])),
        ValueError,
        r"inner dimensions differ: \(2,\) @ \(3,\)",
    ),
    bad(
        "dot/3d",
        lambda: np.dot(mg.tensor(np.ones((2, 2, 2))), mg.tensor(np.ones((2, 2)))),
        ValueError,
        r"dot: .*mg.einsum",
    ),
    good("vdot/flattens", lambda: mg.vdot(leaf(np.ones((2, 3))), leaf(np.ones((3, 2)))), same(6.0)),
    bad(
        "vdot/sizes",
        lambda: mg.vdot(leaf(np.ones((2, 3))), leaf(np.ones(5))),
        ValueError,
        r"vdot: .*\(2, 3\) and \(5,\)",
    ),
    good("outer/empty", lambda: mg.outer(leaf(np.zeros(0)), leaf(X)).shape, lambda s: s == (0, 2)),
    bad("vdot/str", lambda: mg.vdot("ab", "cd"), TypeError, r"^vdot: "),
    bad("dot/none", lambda: mg.dot(None, leaf([1.0])), TypeError, r"^dot: "),
    good(
        "stop_gradient/grad",
        lambda: _grad_of(lambda x: (mg.stop_gradient(x) * x).sum(), [3.0]),
        same([3.0]),
    ),
    good(
        "stop_gradient/hessian",
        lambda: mg.hessian(lambda x: (mg.stop_gradient(x) * x**2).sum())(np.array([3.0])),
        same([[6.0]]),
    ),
    good("stop_gradient/list", lambda: mg.stop_gradient([1.0, 2.0]), same([1.0, 2.0], np.float32)),
    bad("stop_gradient/alias-changed", _stop_gradient_alias, RuntimeError, "changed in place"),
    bad("stop_gradient/none", lambda: mg.stop_gradient(None), TypeError, "NoneType"),
    # -- grad modes -----------------------------------------------------------------------
    good("mode/set-grad-enabled-call", _set_grad_enabled_call, lambda r: r == (False, True)),
    good(
        "mode/set-grad-enabled-decorator", _set_grad_enabled_decorator, lambda r: r == (False, True)
    ),
    good(
        "mode/set-grad-enabled-generator",
        _set_grad_enabled_generator,
        lambda r: r == (False, True, False),
    ),
    bad(
        "mode/set-grad-enabled-int",
        lambda: mg.set_grad_enabled(1),
        TypeError,
        "mode must be True or False, got 1",
    ),
    bad(
        "mode/set-grad-enabled-str",
        lambda: mg.set_grad_enabled("False"),
        TypeError,
        "mode must be True or False",
    ),
    good("mode/grad-inside-inference-mode", _grad_inside_inference_mode, same([6.0])),
    good(
        "threads/grad-mode-per-thread",
        _threads_grad_mode,
        lambda r: r == ({"on": True, "grad": 6.0, "off": False}, True),
    ),
    good("mode/inference-mode-false", _inference_mode_false, same(True)),
    good(
        "mode/inference-mode-keyword",
        lambda: _records_under(mg.inference_mode(mode=False)),
        same(True),
    ),
    good("mode/inference-mode-true", lambda: _records_under(mg.inference_mode()), same(False)),
    bad(
        "mode/inference-mode-str",
        lambda: mg.inference_mode("no"),
        TypeError,
        r"inference_mode: mode must be True or False",
    ),
    # -- autograd.grad, autograd.backward, backward(inputs=) ------------------------------
    good("autograd/second-order", _autograd_second_order, same([6.0, 12.0])),
    good("autograd/wrt-grad-outputs", _grad_wrt_grad_outputs, same(6.0)),
    good("autograd/no-accumulation", _autograd_grad_no_accumulation, same(True)),
    good(
        "autograd/same-output-twice",
        lambda: (lambda x: mg.autograd.grad([(x * x).sum()] * 2, x)[0])(leaf(X)),
        same([4.0, 8.0]),
    ),
    good(
        "autograd/materialize",
        lambda: (
            lambda x: mg.autograd.grad((x * x).sum(), [x, leaf(1.0)], materialize_grads=True)[1]
        )(leaf(X)),
        same(0.0),
    ),
    good(
        "autograd/seed-f32-for-f64",
        lambda: (lambda x: mg.autograd.grad((x * x).sum(), x, grad_outputs=mg.tensor(2.0))[0])(
            leaf([3.0])
        ),
        same([12.0], np.float64),
    ),
    good(
        "autograd/nan-seed",
        lambda: (lambda x: mg.autograd.grad((x * x).sum(), x, grad_outputs=np.nan)[0])(leaf(X)),
        same([np.nan, np.nan]),
    ),
    bad(
        "autograd/dict-inputs",
        lambda: (lambda x: mg.autograd.grad((x * x).sum(), {"x": x}))(leaf(X)),
        TypeError,
        r"autograd.grad: inputs must be a tensor or a non-empty list",
    ),
    bad(
        "autograd/empty-inputs",
        lambda: (lambda x: mg.autograd.grad((x * x).sum(), []))(leaf(X)),
        TypeError,
        "non-empty list",
    ),
    bad(
        "autograd/detached-input",
        lambda: (lambda x: mg.autograd.grad((x * x).sum(), x.detach()))(leaf(X)),
        RuntimeError,
        r"inputs\[0\] .*does not require grad",
    ),
    bad(
        "autograd/unused",
        lambda: (lambda x: mg.autograd.grad((x * x).sum(), [x, leaf(1.0)]))(leaf(X)),
        RuntimeError,
        r"inputs\[1\] .*allow_unused=True",
    ),
    bad(
        "autograd/allow-unused-str",
        lambda: (lambda x: mg.autograd.grad(x.sum(), x, allow_unused="yes"))(leaf(X)),
        TypeError,
        "allow_unused must be True or False",
    ),
    bad(
        "autograd/create-graph-str",
        lambda: (lambda x: mg.autograd.grad(x.sum(), x, create_graph="yes"))(leaf(X)),
        TypeError,
        "create_graph must be True or False",
    ),
    bad(
        "autograd/seed-str",
        lambda: (lambda x: mg.autograd.grad(x.sum(), x, grad_outputs="a"))(leaf(X)),
        TypeError,
        "gradient must be numbers",
    ),
    bad(
        "autograd/too-few-seeds",
        lambda: (lambda x: mg.autograd.grad([x.sum(), x * 1.0], x, grad_outputs=[None]))(leaf(X)),
        ValueError,
        r"one gradient \(or None\) per output: 2 output",
    ),
    bad(
        "autograd/no-grad-output",
        lambda: mg.autograd.grad(mg.tensor(1.0), leaf(X)),
        RuntimeError,
        "does not require grad",
    ),
    good(
        "autograd/grad-outputs-sequence",
        lambda: _grad_outputs_list_one("grad"),
        same([3.0, 30.0]),
    ),
    good(
        "autograd/grad-tensors-sequence",
        lambda: _grad_outputs_list_one("backward"),
        same([3.0, 30.0]),
    ),
    bad(
        "autograd/non-scalar-advice",
        lambda: (lambda x: mg.autograd.grad(x * 2.0, x))(leaf(X)),
        RuntimeError,
        "grad_outputs",
    ),
    good("inputs/only-w", _backward_inputs_only_w, lambda r: r == (True, 3.0)),
    good(
        "inputs/non-leaf",
        lambda: (lambda y: (y.sum().backward(inputs=[y]), y.grad)[1])(leaf(X) * 2.0),
        same([1.0, 1.0]),
    ),
    good("inputs/create-graph", _backward_inputs_create_graph, lambda r: r == (12.0, 12.0)),
    bad(
        "inputs/empty",
        lambda: (leaf(X) * 2.0).sum().backward(inputs=[]),
        TypeError,
        "backward: inputs must be a tensor or a non-empty list",
    ),
    bad(
        "inputs/none-entry",
        lambda: (lambda x: (x * x).sum().backward(inputs=[x, None]))(leaf(X)),
        TypeError,
        r"inputs\[1\] is NoneType",
    ),
    bad(
        "inputs/set",
        lambda: (lambda x: (x * x).sum().backward(inputs={x}))(leaf(X)),
        TypeError,
        "got set",
    ),
    good(
        "inputs/listed-twice",
        lambda: _backward_inputs_twice_listed("backward"),
        same([2.0, 4.0]),
    ),
    good(
        "inputs/listed-twice-autograd",
        lambda: _backward_inputs_twice_listed("autograd"),
        same([2.0, 4.0]),
    ),
    good("threads/accumulate-inputs", _threads_accumulate_inputs, same([400.0, 800.0])),
    # -- grad_fn ---------------------------------------------------------------------------
    good("grad_fn/walk", _grad_fn_walk, lambda r: r == ("add", "multiply", True)),
    good("grad_fn/leaf-none", lambda: leaf(1.0).grad_fn, lambda f: f is None),
    good(
        "grad_fn/no-grad-none",
        lambda: mg.no_grad()(lambda: leaf(1.0) * 2)().grad_fn,
        lambda f: f is None,
    ),
    good("grad_fn/after-rebind", _grad_fn_after_rebind, lambda n: n == "subtract"),
    good("grad_fn/after-backward", _grad_fn_after_backward, lambda n: n == "multiply"),
    good(
        "grad_fn/custom-op", lambda: ExpFwd.apply(leaf([0.0])).grad_fn.name, lambda n: n == "ExpFwd"
    ),
    bad(
        "grad_fn/read-only",
        lambda: setattr(leaf(1.0) * 2, "grad_fn", None),
        AttributeError,
        "grad_fn",
        allowed=(AttributeError,),
    ),
    # -- lists as weak operands, comparisons -------------------------------------------------
    good("weak/x64-plus-list-exact", lambda: mg.tensor(X) + [0.1, 0.1], same(X + 0.1, np.float64)),
    good(
        "weak/x32-plus-list",
        lambda: mg.tensor([1.0]) + [0.1],
        same(np.float32(1.0) + np.float32(0.1), np.float32),
    ),
    good(
        "weak/x16-plus-list",
        lambda: mg.tensor(np.ones(1, np.float16)) + [0.1],
        lambda t: t.dtype == np.float16,
    ),
    good("weak/int-plus-float-list", lambda: mg.tensor([1, 2]) + [0.5, 0.5], same([1.5, 2.5])),
    good(
        "weak/list-grad",
        lambda: _grad_of(lambda x: (x * [2.0, 3.0]).sum(), [1.0, 1.0]),
        same([2.0, 3.0]),
    ),
    bad(
        "weak/list-of-leaves", lambda: mg.tensor(X) + [leaf(1.0), leaf(2.0)], TypeError, "mg.stack"
    ),
    bad(
        "weak/list-with-str",
        lambda: mg.tensor(X) + [1, "a"],
        TypeError,
        r"add: cannot make a tensor",
    ),
    bad("weak/list-with-none", lambda: mg.tensor(X) + [1, None], TypeError, r"add: .*object"),
    bad(
        "weak/ragged",
        lambda: mg.tensor(X) + [[1.0], [1.0, 2.0]],
        ValueError,
        r"add: .*inhomogeneous",
    ),
    bad("weak/empty-list", lambda: mg.tensor(X) + [], ValueError, r"add: .*\(2,\) \(0,\)"),
    bad("weak/huge-int-list", lambda: mg.tensor(X) + [2**70, 1], TypeError, r"add: .*object"),
    bad("weak/huge-int-scalar", lambda: mg.tensor([1, 2]) + 2**70, OverflowError, r"add"),
    good("compare/approx", lambda: mg.tensor(X) == pytest.approx([1.0, 2.0]), same(True)),
    good("compare/approx-reflected", lambda: pytest.approx([1.0, 2.0]) == mg.tensor(X), same(True)),
    good(
        "compare/none",
        lambda: (mg.tensor(X) == None, mg.tensor(X) != None),  # noqa: E711
        lambda r: r == (False, True),
    ),
    good("compare/str", lambda: mg.tensor(X) == "a", same(False)),
    good("compare/list", lambda: mg.tensor(X) == [1.0, 2.0], same([True, True])),
    bad("compare/order-none", lambda: mg.tensor(X) < None, TypeError, "'<' not supported"),
    bad(
        "compare/shapes",
        lambda: mg.tensor(X) < [1.0, 2.0, 3.0],
        ValueError,
        r"less: .*\(2,\) \(3,\)",
    ),
    # -- pytrees ------------------------------------------------------------------------------
    good(
        "tree/grad-dict-vs-numeric",
        lambda: mg.grad(_tree_loss)(PARAMS),
        tree_close(_tree_numeric(), rtol=1e-6),
    ),
    good(
        "tree/grad-namedtuple",
        lambda: mg.grad(lambda p: (p.w * p.b).sum())(P(X, np.float64(3.0))),
        tree_close(P(np.array([3.0, 3.0]), 3.0)),
    ),
    good(
        "tree/grad-nested",
        lambda: mg.grad(lambda p: (p[0]["a"][1] * p[1]).sum())(
            ({"a": [np.float64(1.0), X]}, np.float64(2.0))
        ),
        tree_close(({"a": [0.0, np.array([2.0, 2.0])]}, 3.0)),
    ),
    good("tree/grad-empty-dict", lambda: mg.grad(lambda p: mg.tensor(1.0))({}), lambda r: r == {}),
    good(
        "tree/grad-none-argument",
        lambda: mg.grad(lambda p, x: (x * x).sum(), argnums=(0, 1))(None, np.array([1.0])),
        lambda r: r[0] is None and r[1].tolist() == [2.0],
    ),
    good(
        "tree/same-array-twice",
        lambda: mg.grad(lambda p: (p[0] * p[1]).sum())((X, X)),
        tree_close((X, X)),
    ),
    good(
        "tree/int-keys-sorted",
        lambda: list(
            mg.grad(lambda p: (p[1] * p[2]).sum())({2: np.array([1.0]), 1: np.array([2.0])})
        ),
        lambda k: k == [1, 2],
    ),
    good(
        "tree/mixed-dtypes",
        lambda: mg.grad(lambda p: (p["a"] * p["b"]).sum())(
            {"a": np.array([1.0], np.float32), "b": np.array([2.0])}
        ),
        lambda g: g["a"].dtype == np.float32 and g["b"].dtype == np.float64,
    ),
    good(
        "tree/grad-float16",
        lambda: mg.grad(lambda x: (x * x).sum())(np.array([1.0, 2.0], np.float16)),
        same([2.0, 4.0], np.float16),
    ),
    good(
        "tree/has-aux",
        lambda: mg.grad(lambda p: ((p["w"] ** 2).sum(), {"k": 1}), has_aux=True)(
            {"w": np.array([3.0])}
        ),
        lambda r: r[1] == {"k": 1} and r[0]["w"].tolist() == [6.0],
    ),
    good(
        "tree/vjp-dict",
        lambda: mg.vjp(lambda p: {"o": p["w"] * 2}, {"w": X})[1]({"o": np.ones(2)}),
        tree_close(({"w": np.array([2.0, 2.0])},)),
    ),
    good(
        "tree/jvp-dict",
        lambda: mg.jvp(
            lambda p: (p["w"] * p["b"]).sum(),
            ({"w": X, "b": np.float64(3.0)},),
            ({"w": np.array([1.0, 0.0]), "b": np.float64(1.0)},),
        )[1],
        same(6.0),
    ),
    good(
        "tree/jacrev-equals-jacfwd",
        lambda: [mg.jacrev(f)(PARAMS) for f in [lambda p: p["w"] * p["b"]]][0],
        tree_close(mg.jacfwd(lambda p: p["w"] * p["b"])(PARAMS)),
    ),
    good(
        "tree/hessian-dict",
        lambda: mg.hessian(lambda p: (p["w"] ** 2).sum() * p["b"])({"w": X, "b": np.float64(3.0)})[
            "b"
        ]["w"],
        same([2.0, 4.0]),
    ),
    good(
        "tree/hvp-dict",
        lambda: mg.hvp(
            lambda p: (p["w"] ** 2).sum() * p["b"],
            {"w": X, "b": np.float64(3.0)},
            {"w": np.array([1.0, 0.0]), "b": np.float64(1.0)},
        ),
        tree_close({"b": 2.0, "w": np.array([8.0, 4.0])}),
    ),
    good(
        "tree/gradcheck-dict",
        lambda: bool(mg.gradcheck(lambda p: p["w"] * p["b"], {"w": X, "b": np.float64(3.0)})),
        same(True),
    ),
    good(
        "tree/hessian-empty",
        lambda: mg.hessian(lambda x: (x**2).sum())(np.zeros(0)),
        lambda h: h.shape == (0, 0),
    ),
    bad(
        "tree/set",
        lambda: mg.grad(lambda p: sum(p))({np.float64(1.0)}),
        TypeError,
        r"grad: argument 0 is a set",
    ),
    bad(
        "tree/int-leaf",
        lambda: mg.grad(lambda p: p["w"].sum())({"w": np.array([1, 2])}),
        TypeError,
        r"p\['w'\] has dtype int64",
    ),
    bad(
        "tree/str-leaf",
        lambda: mg.grad(lambda p: 0)({"a\nb": "s"}),
        TypeError,
        r"p\['a\\nb'\] is a str",
    ),
    bad(
        "tree/unsortable-keys",
        lambda: mg.grad(lambda p: 0)({1: X, "a": X}),
        TypeError,
        "keys that sort",
    ),
    bad(
        "tree/vjp-structure",
        lambda: mg.vjp(lambda p: (p * 2, p * 3), X)[1]([np.ones(2), np.ones(2)]),
        TypeError,
        "cotangent is a list of 2 but the output is a tuple of 2",
    ),
    bad(
        "tree/jvp-dtype",
        lambda: mg.jvp(lambda p: p["w"].sum(), ({"w": X},), ({"w": X.astype(np.float32)},)),
        TypeError,
        r"tangents\[0\]\['w'\] has dtype float32",
    ),
    bad(
        "tree/jvp-bool-tangent",
        lambda: mg.jvp(lambda p: p * 2, (np.float64(1.0),), (True,)),
        TypeError,
        "tangent 0 is a bool",
    ),
    bad(
        "tree/hvp-shape",
        lambda: mg.hvp(lambda p: (p["w"] ** 2).sum(), {"w": X}, {"w": np.ones(3)}),
        ValueError,
        r"hvp: v\['w'\] has shape \(3,\) but x\['w'\] has shape \(2,\)",
    ),
    bad(
        "tree/hessian-int",
        lambda: mg.hessian(lambda x: (x**2).sum())(np.array([1, 2])),
        TypeError,
        "dtype int64",
    ),
    good(
        "tree/linearize-tensor-then-add_",
        lambda: _linearize_then_change("add_"),
        same([2.0, 4.0]),
    ),
    good(
        "tree/linearize-tensor-then-iadd",
        lambda: _linearize_then_change("iadd"),
        same([2.0, 4.0]),
    ),
    good("tree/linearize-array-then-change", _linearize_array_then_change, same([2.0, 4.0])),
    # -- optimisers ---------------------------------------------------------------------------
    good(
        "optim/duplicate-once",
        lambda: _optimizer_step(lambda p: [p, p], lr=0.1),
        _stepped([0.8, 1.6], True),
    ),
    good(
        "optim/duplicate-in-pytree",
        lambda: _optimizer_step(lambda p: {"a": [p], "b": (p,)}, lr=0.1),
        _stepped([0.8, 1.6], True),
    ),
    good(
        "optim/named-pairs",
        lambda: _optimizer_step(lambda p: [("w", p)], lr=0.1),
        _stepped([0.8, 1.6], False),
    ),
    good(
        "optim/adam-dict",
        lambda: _optimizer_step(lambda p: {"w": p}, cls=optim.Adam, lr=0.1),
        _stepped([0.9, 1.9], False),
    ),
    good(
        "optim/grad-set-number",
        lambda: (lambda p: (optim.SGD([p], lr=0.1), setattr(p, "grad", 1.0))[0].step() or p)(
            leaf(1.0)
        ),
        same(0.9),
    ),
    bad(
        "optim/set",
        lambda: optim.SGD({leaf(1.0)}, lr=0.1),
        TypeError,
        r"SGD: params is a set.*list\(params\)",
    ),
    bad(
        "optim/frozenset", lambda: optim.Adam(frozenset([leaf(1.0)])), TypeError, "params is a set"
    ),
    bad("optim/empty", lambda: optim.SGD([], lr=0.1), ValueError, "got no parameters"),
    bad("optim/empty-dict", lambda: optim.SGD({}, lr=0.1), ValueError, "got no parameters"),
    bad(
        "optim/non-leaf",
        lambda: optim.SGD({"w": leaf(X) * 2}, lr=0.1),
        ValueError,
        r"parameter params\['w'\] was computed by `multiply`",
    ),
    bad(
        "optim/mixed-pairs",
        lambda: optim.SGD([("w", leaf(1.0)), leaf(2.0)], lr=0.1),
        TypeError,
        "mixes \\(name, tensor\\) pairs",
    ),
    bad(
        "optim/param-groups",
        lambda: optim.SGD([{"params": [leaf(1.0)], "lr": 0.01}], lr=0.1),
        TypeError,
        "parameter groups",
    ),
    bad(
        "optim/lr-nan",
        lambda: optim.SGD([leaf(1.0)], lr=float("nan")),
        ValueError,
        "lr must be finite",
    ),
    # -- full backward hooks ------------------------------------------------------------------
    good("hook/rebound-input", _hook_with_rebound_input, lambda r: r == ([[3.0, 3.0]], [3.0, 3.0])),
    good("hook/replace-via-grad", lambda: _hook_replace("grad"), same([1.5, 1.5])),
    good("hook/replace-via-autograd", lambda: _hook_replace("autograd"), same([1.5, 1.5])),
    good("hook/replace-via-inputs", lambda: _hook_replace("inputs"), same([1.5, 1.5])),
    good("hook/second-order", _hook_second_order, lambda r: r == (True, 36.0, 18.0)),
    good("hook/remove-twice", _hook_remove_twice, lambda seen: seen == []),
    good(
        "hook/raises-with-note",
        _hook_raises,
        lambda r: r[0] == "my hook failed" and "Scale" in r[1][0],
    ),
    bad(
        "hook/returns-tensor",
        lambda: _hook_bad_return(lambda gi: gi[0]),
        TypeError,
        r"returned a Tensor; return None to keep grad_input, or a tuple of 1",
    ),
    bad(
        "hook/returns-f64-for-f32",
        lambda: _hook_bad_return(lambda gi: (gi[0].double(),)),
        ValueError,
        r"dtype float64 for input 0, whose gradient has shape \(2,\) and dtype float32",
    ),
    bad(
        "hook/returns-two",
        lambda: _hook_bad_return(lambda gi: (gi[0], gi[0])),
        ValueError,
        r"returned 2 gradient\(s\) for 1 input",
    ),
    bad(
        "hook/not-callable",
        lambda: Scale().register_full_backward_hook("hook"),
        TypeError,
        "expected a function hook",
    ),
    good(
        "hook/rebind-output",
        _hook_then_rebind_output,
        lambda r: r == ([[2 * 4.0, 2 * 7.0]], [24.0, 42.0]),
    ),
    good("hook/rebind-inside-forward", _hook_and_rebind_inside_forward, same([2.0])),
    # -- losses -------------------------------------------------------------------------------
    good(
        "loss/mse-column-vs-row",
        lambda: _loss_warning(nn.mse_loss, (3, 1), (3,)),
        _warned(1.0, r"mse_loss: .*\(3, 1\).*\(3,\).*9 differences.*target.reshape\(3, 1\)"),
    ),
    good(
        "loss/l1-row-vs-column",
        lambda: _loss_warning(nn.l1_loss, (3,), (3, 1)),
        _warned(1.0, r"l1_loss: .*\(3,\).*\(3, 1\).*9 differences"),
    ),
    good(
        "loss/mse-scalar-target",
        lambda: _loss_warning(nn.mse_loss, (3,), ()),
        _warned(1.0, r"one target for several predictions.*mg.full_like\(pred, 1.0\)"),
    ),
    good(
        "loss/MSELoss-module",
        lambda: _loss_warning(nn.MSELoss(), (3, 1), (3,)),
        _warned(1.0, "mse_loss"),
    ),
    good(
        "loss/L1Loss-same-shape",
        lambda: _loss_warning(nn.L1Loss(), (3,), (3,)),
        lambda r: r == (1.0, []),
    ),
    bad(
        "loss/not-broadcast",
        lambda: nn.mse_loss(mg.zeros(3), mg.zeros(2)),
        ValueError,
        r"mse_loss: .*do not broadcast",
    ),
    bad(
        "loss/reduction",
        lambda: nn.l1_loss(mg.zeros(3), mg.zeros(3), reduction="avg"),
        ValueError,
        "l1_loss: reduction must be one of",
    ),
    bad(
        "loss/str-target", lambda: nn.mse_loss(mg.zeros(3), "abc"), TypeError, "mse_loss: target: "
    ),
    bad(
        "loss/labels-vs-scores",
        lambda: nn.mse_loss(mg.zeros(4, 3), mg.tensor([0, 1, 2, 1])),
        ValueError,
        r"integer class labels.*nn.one_hot",
    ),
    good(
        "loss/mse-grad",
        lambda: _grad_of(lambda p: nn.mse_loss(p, np.array([1.0, 3.0])), [0.0, 0.0]),
        same([-1.0, -3.0]),
    ),
    # -- default generator --------------------------------------------------------------------
    good("rng/manual-seed-stream", lambda: _seed_stream(5), same(True)),
    good("rng/manual-seed-numpy-int", lambda: _seed_stream(np.int64(11)), same(True)),
    good("rng/returns-default", lambda: mg.manual_seed(0) is mg.default_generator(), same(True)),
    bad("rng/seed-float", lambda: mg.manual_seed(1.0), TypeError, "seed must be an int, got float"),
    bad("rng/seed-bool", lambda: mg.manual_seed(True), TypeError, "seed must be an int, got bool"),
    bad("rng/seed-negative", lambda: mg.manual_seed(-1), ValueError, "non-negative"),
    bad("rng/int-as-rng", lambda: mg.randn(2, rng=3), TypeError, r"mg.manual_seed\(3\)"),
    good("threads/manual-seed-race", _seed_threads, same(True)),
    # -- Functions without backward ------------------------------------------------------------
    good(
        "function/fwd-only-jacfwd",
        lambda: mg.jacfwd(lambda x: ExpFwd.apply(x))(np.array([0.0, 1.0])),
        close(np.diag(np.exp([0.0, 1.0]))),
    ),
    good(
        "function/fwd-only-dual",
        lambda: dual(ExpFwd.apply, [0.0, 1.0], [1.0, 2.0]),
        primal_tangent(np.exp([0.0, 1.0]), [1.0, 2.0 * np.e]),
    ),
    good(
        "function/fwd-only-unused-branch",
        lambda: (lambda x: (ExpFwd.apply(x), (x * 2).sum().backward(), x.grad)[2])(leaf([1.0])),
        same([2.0]),
    ),
    good(
        "function/fwd-only-no-grad",
        lambda: mg.no_grad()(lambda: ExpFwd.apply(leaf([0.0])))(),
        same([1.0]),
    ),
    bad(
        "function/fwd-only-grad",
        lambda: mg.grad(lambda x: ExpFwd.apply(x).sum())(np.array([0.0])),
        NotImplementedError,
        r"`ExpFwd` defines no backward\(ctx, g\)",
    ),
    bad(
        "function/fwd-only-hessian",
        lambda: mg.hessian(lambda x: ExpFwd.apply(x).sum())(np.array([0.0])),
        NotImplementedError,
        "ExpFwd",
    ),
    bad(
        "function/fwd-only-mixed",
        lambda: (lambda x: mg.autograd.grad((ExpFwd.apply(x) + x).sum(), x))(leaf([0.0])),
        NotImplementedError,
        "ExpFwd",
    ),
    # -- forward mode through the new spellings ------------------------------------------------
    good(
        "dual/np-exp",
        lambda: dual(np.exp, [0.0, 1.0], [1.0, 1.0]),
        primal_tangent(np.exp([0.0, 1.0]), np.exp([0.0, 1.0])),
    ),
    good(
        "dual/np-linalg-norm",
        lambda: dual(np.linalg.norm, [3.0, 4.0], [1.0, 0.0]),
        primal_tangent(5.0, 0.6),
    ),
    good(
        "dual/norm-at-zero",
        lambda: dual(mg.linalg.norm, [0.0, 0.0], [1.0, 0.0]),
        primal_tangent(0.0, 0.0),
    ),
    good(
        "dual/matrix-norm-1",
        lambda: dual(
            lambda x: np.linalg.norm(x.reshape(2, 2), 1),
            [1.0, -2.0, 3.0, 4.0],
            [1.0, 1.0, 1.0, 1.0],
        ),
        primal_tangent(6.0, 0.0),
    ),
    good("dual/pow", lambda: dual(lambda x: x.pow(3), [2.0], [1.0]), primal_tangent([8.0], [12.0])),
    good(
        "dual/double-float",
        lambda: dual(lambda x: x.float().double() * 2, [2.0], [1.0]),
        primal_tangent([4.0], [2.0]),
    ),
    good(
        "dual/dot-vdot-outer",
        lambda: dual(
            lambda x: mg.dot(x, x) + mg.vdot(x, x) + mg.outer(x, x).sum(), [3.0, 4.0], [1.0, 1.0]
        ),
        primal_tangent(99.0, 56.0),
    ),
    good(
        "dual/stop-gradient",
        lambda: dual(lambda x: mg.stop_gradient(x) * x, [3.0], [1.0]),
        primal_tangent([9.0], [3.0]),
    ),
    good(
        "dual/np-where-maximum",
        lambda: dual(
            lambda x: np.where(x > 3.5, x, x * x) + np.maximum(x, 3.5), [3.0, 4.0], [1.0, 1.0]
        ),
        primal_tangent([12.5, 8.0], [6.0, 2.0]),
    ),
    good(
        "dual/np-add-reduce",
        lambda: dual(np.add.reduce, [2.0, 1.0], [1.0, 3.0]),
        primal_tangent(3.0, 4.0),
    ),
    good(
        "dual/all-has-no-tangent",
        lambda: dual(lambda x: x.all(), [3.0], [1.0]).tangent,
        lambda t: t is None,
    ),
    good(
        "dual/grad-inside",
        lambda: dual(lambda x: mg.grad(lambda y: (y**3).sum())(x), [2.0], [1.0]),
        primal_tangent([12.0], [12.0]),
    ),
    bad(
        "dual/np-cumsum",
        lambda: dual(np.cumsum, [1.0, 2.0], [1.0, 1.0]),
        TypeError,
        "np.cumsum on a tensor that requires grad",
    ),
    bad(
        "dual/out-into-dual",
        lambda: dual(lambda x: np.add(x, 1.0, out=x), [3.0], [1.0]),
        RuntimeError,
        r"dual tensor in place would leave its tangent stale",
    ),
    good(
        "dual/jvp-vs-numeric",
        lambda: (
            lambda f: (
                mg.jvp(f, (X,), (np.array([1.0, -1.0]),))[1],
                numeric_jvp(f, X, np.array([1.0, -1.0])),
            )
        )(lambda x: np.sum(np.tanh(x) * np.linalg.norm(x))),
        lambda r: np.testing.assert_allclose(r[0].data, r[1], rtol=1e-6) is None,
    ),
    # -- second order through the new spellings -----------------------------------------------
    good(
        "second/np-dispatch-hessian",
        lambda: _hessian_of(
            lambda x: np.sum(np.tanh(x) ** 2) + np.linalg.norm(x) ** 3, [0.5, -1.0]
        ),
        lambda h: np.testing.assert_allclose(h[0], h[1], rtol=1e-5, atol=1e-7) is None,
    ),
    good(
        "second/vdot-quadratic",
        lambda: mg.hessian(_vdot_quadratic)(X),
        close(np.array([[4.0, 1.5], [1.5, 6.0]])),
    ),
    good(
        "second/hvp-cookbook",
        lambda: mg.grad(
            lambda x: np.vdot(mg.grad(lambda y: np.sum(np.tanh(y) ** 2))(x), np.array([1.0, 2.0]))
        )(np.array([0.5, -1.0])),
        close(
            mg.hvp(
                lambda y: np.sum(np.tanh(y) ** 2), np.array([0.5, -1.0]), np.array([1.0, 2.0])
            ).data
        ),
    ),
    good(
        "second/double-in-hessian",
        lambda: mg.hessian(lambda x: (x.double() ** 3).sum())(np.array([1.0, 2.0], np.float32)),
        same([[6.0, 0.0], [0.0, 12.0]], np.float32),
    ),
    good(
        "second/gradgradcheck-norm-dispatch",
        lambda: bool(
            mg.gradgradcheck(lambda x: np.linalg.norm(x) * np.sum(np.exp(x)), np.array([0.3, -0.7]))
        ),
        same(True),
    ),
    good(
        "second/autograd-grad-of-norm",
        lambda: (
            lambda x: mg.autograd.grad(
                mg.autograd.grad(mg.linalg.norm(x), x, create_graph=True)[0][0], x
            )[0]
        )(leaf([3.0, 4.0])),
        close([0.64 / 5, -0.48 / 5]),
    ),
    # -- empty inputs, dtypes, NaN, threads (more) -------------------------------------------
    good("empty/jvp-no-primals", lambda: mg.jvp(lambda: mg.tensor(1.0), (), ())[1], same(0.0)),
    bad(
        "empty/gradcheck-empty-dict",
        lambda: mg.gradcheck(lambda p: mg.tensor(1.0, dtype=np.float64), {}),
        ValueError,
        "gradcheck: no inputs to differentiate",
    ),
    bad("empty/vjp-no-primals", lambda: mg.vjp(lambda: mg.tensor(1.0)), TypeError, "primal"),
    good(
        "dtype/x32-plus-np-float64",
        lambda: mg.tensor([1.0]) + np.float64(0.1),
        lambda t: t.dtype == np.float64,
    ),
    good(
        "dtype/rebind-promotes",
        lambda: _iop(mg.zeros(1), leaf([1.0]), "+"),
        same([1.0], np.float64),
    ),
    good(
        "dtype/in-place-keeps",
        lambda: _iop(mg.zeros(1), np.array([0.5]), "+"),
        same([0.5], np.float32),
    ),
    good(
        "dtype/hvp-f32-number-v",
        lambda: mg.hvp(lambda x: (x**3).sum(), np.float32(2.0), 1.0),
        same(12.0, np.float32),
    ),
    bad(
        "dtype/hvp-f32-v-f64",
        lambda: mg.hvp(lambda x: (x**3).sum(), np.array([2.0], np.float32), np.array([1.0])),
        TypeError,
        r"hvp: v has dtype float64 but x has dtype float32.*astype\(np.float32\)",
    ),
    good(
        "tree/jacrev-pytree-output",
        lambda: mg.jacrev(lambda x: {"a": x * 2, "b": [x.sum()]})(X),
        tree_close({"a": 2 * np.eye(2), "b": [np.ones(2)]}),
    ),
    good(
        "nan/jvp-nan-tangent",
        lambda: mg.jvp(lambda p: p * 2, (np.float64(1.0),), (np.float64(np.nan),))[1],
        same(np.nan),
    ),
    good(
        "nan/inf-primal",
        lambda: mg.jvp(lambda p: p * p, (np.float64(np.inf),), (np.float64(1.0),))[1],
        same(np.inf),
    ),
    good("threads/hooks-per-thread", _hook_threads, lambda r: r == (200, True)),
    # -- hostile strings -----------------------------------------------------------------------
    good(
        "hostile/repr-one-line",
        lambda: repr(mg.tensor(1.0, label=HOSTILE)),
        lambda r: "\n" not in r and "\\n" in r,
    ),
    good("hostile/viz-escaped", lambda: _viz_source(HOSTILE), _escaped),
    good(
        "hostile/viz-long-cut",
        lambda: _viz_source("x" * 10_000),
        lambda s: "x" * 80 not in s and "…" in s,
    ),
    good(
        "hostile/format-percent", lambda: format(mg.tensor(0.5), "%"), lambda s: s == "50.000000%"
    ),
    bad(
        "hostile/param-name-in-message",
        lambda: optim.SGD([(HOSTILE, mg.tensor([1, 2]))], lr=0.1),
        TypeError,
        r"SGD: parameter a\"b.*has dtype int64",
    ),
    bad(
        "hostile/long-key-message",
        lambda: mg.hvp(lambda p: 0, {"k" * 3000: X}, {"k" * 3000: np.ones(3)}),
        ValueError,
        r"hvp: v\['k+",
    ),
    bad(
        "hostile/long-name-message",
        lambda: optim.SGD([("n" * 3000, mg.tensor([1, 2]))], lr=0.1),
        TypeError,
        r"SGD: parameter n+",
    ),
]


def grad_dtype(f, dtype):
    x = mg.tensor(np.array([1.0], dtype=dtype), requires_grad=True)
    f(x).backward()
    return x.grad


def _relabel(t, value):
    t.label = value
    return t.name


@pytest.fixture(autouse=True)
def _restore_process_state():
    """The cases reseed the default generator and switch grad mode: leave both as found."""
    bits = mg.default_generator().bit_generator
    state = bits.state
    yield
    bits.state = state
    mg.set_grad_enabled(True)


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_misuse(case):
    run(case)


def test_enough_cases():
    assert len(CASES) >= 150, len(CASES)
