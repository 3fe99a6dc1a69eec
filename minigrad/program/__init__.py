"""Static programs: trace once, print, differentiate symbolically, simplify, run many."""

from minigrad.program.ir import Instruction, Program, Var
from minigrad.program.trace import Traced, make_program

__all__ = ["Instruction", "Program", "Traced", "Var", "make_program"]
