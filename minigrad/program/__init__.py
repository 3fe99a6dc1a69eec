"""Static programs: trace once, print, differentiate symbolically, simplify, run many."""

from minigrad.program.compile import compile  # noqa: A004 (torch.compile's name)
from minigrad.program.expression import formula, graph_size, to_sympy, tree_size
from minigrad.program.ir import Instruction, Program, Var
from minigrad.program.trace import GuardFailed, Traced, make_program

__all__ = [
    "GuardFailed",
    "Instruction",
    "Program",
    "Traced",
    "Var",
    "compile",
    "formula",
    "graph_size",
    "make_program",
    "to_sympy",
    "tree_size",
]
