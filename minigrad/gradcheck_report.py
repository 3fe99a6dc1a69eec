"""What a gradient check reports: each comparison (`Check`), the node to blame (`Culprit`),
the whole result as a table (`GradcheckResult`), and the errors and warnings it raises."""

from __future__ import annotations

from dataclasses import dataclass, field

from minigrad.tensor import Tensor

MODE_NAMES = {
    "values": "the function's values",
    "rev": "reverse mode",
    "fwd": "forward mode",
    "adjoint": "adjoint identity",
    "rev-over-rev": "reverse-over-reverse",
    "fwd-over-rev": "forward-over-reverse",
}


class GradcheckError(AssertionError):
    """A derivative disagrees with finite differences (or the two modes with each other)."""


class GradcheckWarning(UserWarning):
    """Something about the check itself (such as a float32 input promoted to float64)."""


@dataclass
class Check:
    """One comparison: a mode, for one output and one input (None for the adjoint check)."""

    mode: str
    output: int | None
    input: int | None
    max_abs: float
    max_rel: float
    analytic: float
    numeric: float
    passed: bool
    out_index: tuple | None = None
    in_index: tuple | None = None
    kinks: list = field(default_factory=list)  # (input element, left, right derivative)
    error: str | None = None  # the derivative could not even be computed

    def where(self) -> str:
        if self.out_index is None:
            return "-"
        return f"out {self.out_index}, in {self.in_index}"


@dataclass
class Culprit:
    """The first recorded node (in evaluation order) whose own derivative is wrong."""

    node: int
    name: str
    input: int
    mode: str
    analytic: float
    numeric: float

    def __str__(self) -> str:
        if self.mode == "rev-over-rev":
            return (
                f"node {self.node}, `{self.name}`: the derivative of its VJP for input "
                f"{self.input} is off by {abs(self.analytic - self.numeric):.3g} (analytic "
                f"{self.analytic:.6g} vs numeric {self.numeric:.6g}, projected on random "
                "directions): its rule is right at first order but not differentiable "
                "as written"
            )
        what = "gradient" if self.mode == "rev" else "tangent"
        return (
            f"node {self.node}, `{self.name}`, {what} w.r.t. input {self.input} off by "
            f"{abs(self.analytic - self.numeric):.3g} (analytic {self.analytic:.6g} vs "
            f"numeric {self.numeric:.6g}, projected on random directions)"
        )


@dataclass
class GradcheckResult:
    """Truthy when every check passed; `repr` is a short table."""

    checks: list[Check]
    eps: float
    atol: float
    rtol: float
    culprit: Culprit | None = None
    what: str = "gradcheck"
    notes: list[str] = field(default_factory=list)
    inputs: list[str] | None = None  # the names of pytree inputs' leaves (else numbered)

    def input_name(self, j: int) -> str:
        """`input 0` for flat inputs, the leaf's path (`params['w']`) for pytree inputs."""
        return f"input {j}" if self.inputs is None else self.inputs[j]

    @property
    def passed(self) -> bool:
        """Every comparison passed, and at least one ran."""
        return bool(self.checks) and all(c.passed for c in self.checks)

    def __bool__(self) -> bool:
        return self.passed

    @property
    def derivatives_failed(self) -> bool:
        """A derivative was compared and found wrong (so there is a culprit to look for)."""
        return any(not c.passed and c.mode != "values" for c in self.checks)

    @property
    def kinks(self) -> list:
        """(input, (element, left derivative, right derivative)) for each kink found."""
        found = {}
        for c in self.checks:
            for k in c.kinks:
                found.setdefault((c.input, k[0]), (c.input, k))
        return list(found.values())

    def __repr__(self) -> str:
        head = (
            f"{self.what} {'passed' if self.passed else 'FAILED'} (float64, eps {self.eps:g},"
            f" atol {self.atol:g}, rtol {self.rtol:g})"
        )
        # NOTE: pytree inputs are named by path in a column as wide as the longest name.
        names = [
            _dash(c.input) if self.inputs is None or c.input is None else self.inputs[c.input]
            for c in self.checks
        ]
        width = max([4, *(len(n) + 2 for n in names)])
        rows = [
            f"{'mode':<13}{'out':>4}{'in':>{width}}{'max abs err':>13}{'max rel err':>13}  "
            f"{'worst element':<24}{'analytic':>12}{'numeric':>12}  ok"
        ]
        for c, name in zip(self.checks, names, strict=True):
            rows.append(
                f"{c.mode:<13}{_dash(c.output):>4}{name:>{width}}{c.max_abs:>13.2e}"
                f"{c.max_rel:>13.2e}  {c.where():<24}{c.analytic:>12.6g}{c.numeric:>12.6g}  "
                f"{'yes' if c.passed else 'NO'}"
            )
        tail = [
            f"kink: {self.input_name(i)} element {k[0]}: one-sided derivatives {k[1]:.6g} and "
            f"{k[2]:.6g} differ, so the function is not differentiable there (skipped)"
            for i, k in self.kinks
        ]
        if self.culprit is not None:
            tail.append(f"culprit: {self.culprit}")
        return "\n".join([head, *rows, *tail, *self.notes])

    def message(self) -> str:
        """A sentence for each failed check, with the culprit."""
        if not self.checks:
            return "\n".join(
                [f"{self.what}: nothing was compared, so nothing was checked", *self.notes]
            )
        lines = []
        for c in self.checks:
            if c.passed:
                continue
            if c.error is not None:
                lines.append(f"{self.what} failed in {MODE_NAMES[c.mode]}: {c.error}")
                continue
            if c.mode == "adjoint":
                lines.append(
                    f"{self.what}: the modes disagree: <v, J u> by forward mode is "
                    f"{c.analytic:.12g} but <J^T v, u> by reverse mode is "
                    f"{c.numeric:.12g}"
                )
                continue
            lines.append(
                f"{self.what} failed in {MODE_NAMES[c.mode]}: d(output {c.output})/"
                f"d({self.input_name(c.input)}) at output element {c.out_index}, input element "
                f"{c.in_index}: "
                f"analytic {c.analytic:.6g} vs numeric {c.numeric:.6g} (abs error "
                f"{abs(c.analytic - c.numeric):.3g} > atol {self.atol:g} + rtol {self.rtol:g} "
                f"* |numeric|; eps {self.eps:g})"
            )
        if self.culprit is not None:
            lines.append(f"culprit: {self.culprit}")
        return "\n".join(lines + [n for n in self.notes if n.startswith("note:")])


def _dash(v) -> str:
    return "-" if v is None else str(v)


def outputs_of(out) -> list[Tensor]:
    """The outputs of a checked function as a list of float Tensors, or a TypeError."""
    outs = list(out) if isinstance(out, tuple | list) else [out]
    for k, o in enumerate(outs):
        if not isinstance(o, Tensor):
            raise TypeError(
                "gradcheck: the function must return a Tensor or a tuple of Tensors, got "
                + (f"{type(out).__name__}" if o is out else f"{type(o).__name__} as output {k}")
            )
        if o.dtype.kind != "f":
            raise TypeError(
                f"gradcheck: output {k} has dtype {o.dtype}, which has no derivative; return "
                "float outputs"
            )
    if not outs:
        raise TypeError("gradcheck: the function returned no outputs")
    return outs
