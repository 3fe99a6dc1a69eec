"""Static programs: trace once, print, differentiate symbolically, simplify, run many."""

from minigrad.program.compile import compile  # noqa: A004 (torch.compile's name)
from minigrad.program.ir import Instruction, Program, Var
from minigrad.program.trace import GuardFailed, Traced, make_program

__all__ = ["GuardFailed", "Instruction", "Program", "Traced", "Var", "compile", "make_program"]
