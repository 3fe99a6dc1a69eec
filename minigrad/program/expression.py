"""Programs of scalars read as formulas: text or LaTeX (every use of a value repeats its
subexpression, so a formula is a tree), the sizes of that tree and of the program's graph (the
measure of expression swell), and SymPy expressions."""

from __future__ import annotations

import operator
import re

import numpy as np

from minigrad.program.ir import Instruction, Program, Var

# Precedence of a printed piece, loosest first (Python's order, so text formulas are Python).
_COMPARE, _OR, _AND, _ADD, _MUL, _POW, _CALL, _ATOM = range(8)

# op name: (text operator, LaTeX operator, precedence of the result, least precedence of the
# left and of the right operand printed without parentheses).
_INFIX = {
    "add": (" + ", " + ", _ADD, _ADD, _ADD),
    "subtract": (" - ", " - ", _ADD, _ADD, _MUL),
    "multiply": ("*", r" \cdot ", _MUL, _MUL, _MUL),
    "divide": ("/", None, _MUL, _MUL, _POW),  # LaTeX: \frac{}{}
    "power": ("**", "^", _POW, _CALL, _POW),  # LaTeX: x^{y}
    "greater": (" > ", " > ", _COMPARE, _ADD, _ADD),
    "greater_equal": (" >= ", r" \geq ", _COMPARE, _ADD, _ADD),
    "less": (" < ", " < ", _COMPARE, _ADD, _ADD),
    "less_equal": (" <= ", r" \leq ", _COMPARE, _ADD, _ADD),
    "equal": (" == ", " = ", _COMPARE, _ADD, _ADD),
    "not_equal": (" != ", r" \neq ", _COMPARE, _ADD, _ADD),
    "logical_and": (" & ", r" \land ", _AND, _AND, _AND),
    "logical_or": (" | ", r" \lor ", _OR, _OR, _OR),
}
# op name: (text function, LaTeX function)
_CALLS = {
    "exp": ("exp", r"\exp"),
    "log": ("log", r"\log"),
    "log1p": ("log1p", r"\log"),  # LaTeX: \log(1 + x)
    "sin": ("sin", r"\sin"),
    "cos": ("cos", r"\cos"),
    "tanh": ("tanh", r"\tanh"),
    "sigmoid": ("sigmoid", r"\sigma"),
    "abs": ("abs", None),  # LaTeX: |x|
    "sign": ("sign", r"\operatorname{sign}"),
    "maximum": ("max", r"\max"),
    "minimum": ("min", r"\min"),
    "where": ("where", r"\operatorname{where}"),
}
_PREFIX = {"negative": ("-", "-"), "logical_not": ("~", r"\lnot ")}
# Ops that leave a scalar as it is: a formula shows their operand.
_TRANSPARENT = ("sum", "reshape", "broadcast_to", "astype")
_GREEK = (
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau "
    "phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega"
).split()


def formula(program: Program, output: int = 0, style: str = "text") -> str:
    r"""The output `output` of a program of scalars as one formula: each instruction written
    into its uses, with the parentheses precedence needs. Text formulas are Python (with
    `sin`, `exp`, `sigmoid`, `where`, ... as NumPy's); `style="latex"` gives LaTeX.

    >>> import minigrad as mg
    >>> p = mg.make_program(lambda x, w: mg.tanh(w * x + 1) / x**2)(0.5, 2.0)
    >>> print(formula(p))
    tanh(w*x + 1)/x**2
    >>> print(formula(p, style="latex"))
    \frac{\tanh\left(w \cdot x + 1\right)}{x^{2}}
    """
    if style not in ("text", "latex"):
        raise ValueError(f"formula: style must be 'text' or 'latex', got {style!r:.40}")
    latex = style == "latex"
    leaves, needed = _walk(program, output, "formula")
    pieces = {v.index: _leaf_piece(v, latex) for v in leaves}
    for ins in needed:
        args = [pieces[a.index] for a in ins.args]
        pieces[ins.out.index] = args[0] if _transparent(ins) else _piece(ins, args, latex)
    return pieces[_output_var(program, output, "formula").index][0]


def tree_size(program: Program, output: int = 0) -> int:
    """The number of nodes of the formula of output `output` (inputs, constants and
    operations), counted without writing it: a value used twice counts twice.

    >>> import minigrad as mg
    >>> def f(x):
    ...     y = x * x
    ...     return y * y
    >>> p = mg.make_program(f)(2.0)
    >>> tree_size(p), graph_size(p)
    (7, 3)
    """
    leaves, needed = _walk(program, output, "tree_size", scalars=False)
    sizes = {v.index: 1 for v in leaves}
    for ins in needed:
        inner = sum(sizes[a.index] for a in ins.args)
        sizes[ins.out.index] = inner if _transparent(ins) else 1 + inner
    return sizes[_output_var(program, output, "tree_size").index]


def graph_size(program: Program, output: int = 0) -> int:
    """The number of nodes the output `output` depends on (inputs, constants and operations),
    each counted once: the formula's tree with shared values drawn once."""
    leaves, needed = _walk(program, output, "graph_size", scalars=False)
    return len(leaves) + sum(not _transparent(ins) for ins in needed)


def to_sympy(program: Program, output: int = 0):
    """The output `output` of a program of scalars as a SymPy expression in real Symbols named
    after the inputs. NOTE: float constants become exact rationals of their shortest decimal
    (0.1 -> 1/10, 3.0 -> 3), so SymPy can simplify what the program computes in floats."""
    try:
        import sympy
    except ImportError:
        raise ImportError(
            "to_sympy needs SymPy: pip install minigrad[symbolic] (or pip install sympy)"
        ) from None
    leaves, needed = _walk(program, output, "to_sympy")
    exprs = {v.index: _sympy_leaf(sympy, v) for v in leaves}
    ops = _sympy_ops(sympy)
    for ins in needed:
        args = [exprs[a.index] for a in ins.args]
        exprs[ins.out.index] = _sympy_apply(sympy, ops, ins, args)
    return exprs[_output_var(program, output, "to_sympy").index]


def _output_var(program: Program, output: int, where: str) -> Var:
    n = len(program.outputs)
    if isinstance(output, bool) or not isinstance(output, int) or not -n <= output < n:
        raise ValueError(f"{where}: output {output!r:.30} is not one of the {n} outputs")
    return program.outputs[output]


def _walk(program: Program, output: int, where: str, scalars: bool = True):
    """(the inputs and constants, the instructions in evaluation order) that the output
    depends on; with `scalars`, checked to have a formula."""
    wanted = {_output_var(program, output, where).index}
    needed: list[Instruction] = []
    for ins in reversed(program.instructions):
        if ins.out.index in wanted:
            needed.append(ins)
            wanted.update(a.index for a in ins.args)
    needed.reverse()
    leaves = [v for v in [*program.inputs, *program.constants] if v.index in wanted]
    if scalars:
        for v in leaves:
            if v.shape != ():
                kind = "constant" if v.is_constant else "input"
                raise ValueError(
                    f"{where}: {kind} {v.name} has shape {v.shape}; formulas are for "
                    "programs of scalars (shape ())"
                )
        for ins in needed:
            _check(ins, where)
    return leaves, needed


def _check(ins: Instruction, where: str) -> None:
    if ins.out.shape != () or any(a.shape != () for a in ins.args):
        raise ValueError(
            f"{where}: {ins.text()} computes on shapes "
            f"{', '.join(str(v.shape) for v in [*ins.args, ins.out])}; formulas are for "
            "programs of scalars (shape ())"
        )
    name = ins.op.name
    if not (name in _INFIX or name in _CALLS or name in _PREFIX or _transparent(ins)):
        known = ", ".join([*_INFIX, *_CALLS, *_PREFIX, *_TRANSPARENT])
        raise ValueError(f"{where}: no formula for {name} (in {ins.text()}); formulas know {known}")


def _transparent(ins: Instruction) -> bool:
    """A shape op on a scalar, or an exact conversion (to float, or from bool)."""
    if ins.op.name not in _TRANSPARENT or ins.out.shape != () or ins.args[0].shape != ():
        return False
    if ins.op.name != "astype":
        return True
    return ins.out.dtype.kind == "f" or ins.args[0].dtype.kind == "b"


def _piece(ins: Instruction, args: list[tuple[str, int]], latex: bool) -> tuple[str, int]:
    """(text, precedence) of one operation on the pieces of its operands."""
    name = ins.op.name
    if name in _PREFIX:
        sign = _PREFIX[name][latex]
        least = _MUL if name == "negative" else _POW
        return sign + _operand(args[0], least, latex, signed=True), _MUL
    if name in _CALLS:
        function = _CALLS[name][latex]
        inner = ", ".join(a[0] for a in args)
        if latex and name == "abs":
            return rf"\left|{inner}\right|", _ATOM
        if latex and name == "log1p":
            inner = f"1 + {inner}"
        return f"{function}{_parens(inner, latex)}", _CALL
    symbol, latex_symbol, result, left, right = _INFIX[name]
    if latex and name == "divide":
        return rf"\frac{{{args[0][0]}}}{{{args[1][0]}}}", _CALL
    if latex and name == "power":
        return f"{_operand(args[0], _ATOM, latex)}^{{{args[1][0]}}}", _POW
    text = _operand(args[0], left, latex) + (latex_symbol if latex else symbol)
    return text + _operand(args[1], right, latex, signed=True), result


def _operand(piece: tuple[str, int], least: int, latex: bool, signed: bool = False) -> str:
    """An operand's text, in parentheses if it binds looser than `least`, or if it starts
    with a minus and follows a `signed` operator (`x*(-y)`, `-(-y)`)."""
    text, precedence = piece
    if precedence < least or (signed and text.startswith("-")):
        return _parens(text, latex)
    return text


def _parens(text: str, latex: bool) -> str:
    return rf"\left({text}\right)" if latex else f"({text})"


def _leaf_piece(v: Var, latex: bool) -> tuple[str, int]:
    if not v.is_constant:
        return (_latex_name(v.name) if latex else v.name), _ATOM
    text = _number_text(np.asarray(v.value)[()], latex)
    return text, (_MUL if text.startswith("-") else _ATOM)


def _number_text(value, latex: bool) -> str:
    """1.0 -> 1, 0.5 -> 0.5, 1e-08 -> 1e-08 (LaTeX 10^{-8}), as short as the dtype allows."""
    if isinstance(value, bool | np.bool_):
        return (r"\mathrm{true}" if value else r"\mathrm{false}") if latex else str(bool(value))
    if isinstance(value, float | np.floating) and np.isfinite(value) and value == int(value):
        if abs(value) < 1e16:
            return str(int(value))
    text = str(value)
    if not latex:
        return text
    if text in ("inf", "-inf", "nan"):
        return {"inf": r"\infty", "-inf": r"-\infty", "nan": r"\mathrm{NaN}"}[text]
    mantissa, _, exponent = text.partition("e")
    if not exponent:
        return text
    power = f"10^{{{int(exponent)}}}"
    return power if mantissa in ("1", "1.0") else rf"{mantissa} \cdot {power}"


def _latex_name(name: str) -> str:
    """x -> x, x0 -> x_{0}, w_1 -> w_{1}, theta -> \\theta, lr -> \\mathrm{lr}."""
    match = re.fullmatch(r"([A-Za-z]+)_?(\d+)", name) or re.fullmatch(r"([A-Za-z])_(\w+)", name)
    if match:
        head, tail = match.groups()
        return f"{_latex_name(head)}_{{{tail}}}"
    if name in _GREEK:
        return "\\" + name
    if len(name) == 1:
        return name
    return r"\mathrm{" + name.replace("_", r"\_") + "}"


def _sympy_leaf(sympy, v: Var):
    if not v.is_constant:
        return sympy.Symbol(v.name, real=v.dtype.kind != "b")
    value = np.asarray(v.value)[()]
    if isinstance(value, bool | np.bool_):
        return sympy.true if value else sympy.false
    if isinstance(value, float | np.floating) and not np.isfinite(value):
        return {1: sympy.oo, -1: -sympy.oo}.get(int(np.sign(value)), sympy.nan)
    return sympy.Rational(str(value))


def _sympy_ops(sympy) -> dict:
    """Each op as a function of SymPy expressions."""
    return {
        "add": operator.add, "subtract": operator.sub, "multiply": operator.mul,
        "divide": operator.truediv, "power": operator.pow, "negative": operator.neg,
        "exp": sympy.exp, "log": sympy.log, "log1p": lambda x: sympy.log(1 + x),
        "sin": sympy.sin, "cos": sympy.cos, "tanh": sympy.tanh,
        "sigmoid": lambda x: 1 / (1 + sympy.exp(-x)), "abs": sympy.Abs, "sign": sympy.sign,
        "maximum": sympy.Max, "minimum": sympy.Min,
        "where": lambda c, x, y: sympy.Piecewise((x, c), (y, True)),
        "greater": sympy.Gt, "greater_equal": sympy.Ge, "less": sympy.Lt,
        "less_equal": sympy.Le, "equal": sympy.Eq, "not_equal": sympy.Ne,
        "logical_and": sympy.And, "logical_or": sympy.Or, "logical_not": sympy.Not,
    }  # fmt: skip


def _sympy_apply(sympy, ops: dict, ins: Instruction, args: list):
    """One instruction on SymPy expressions. NOTE: a condition used as a number (`2 * (x >
    1)`, a conversion to float) is 1 or 0, a Piecewise; the condition of a where stays one."""
    if ins.out.dtype.kind != "b":
        for k, v in enumerate(ins.args):
            if v.dtype.kind == "b" and not (ins.op.name == "where" and k == 0):
                args[k] = sympy.Piecewise((1, args[k]), (0, True))
    return args[0] if _transparent(ins) else ops[ins.op.name](*args)
