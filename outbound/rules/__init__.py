"""The segment rule language: a safe subset of Python expressions over an extract's columns,
compiled to a pandas mask and to a SQLAlchemy clause. Pure. May import: errors."""

from outbound.rules.errors import RuleError
from outbound.rules.functions import FUNCTIONS
from outbound.rules.rule import Rule, compile_rule, select_line_ids
from outbound.rules.tree import ColumnType

__all__ = ["FUNCTIONS", "ColumnType", "Rule", "RuleError", "compile_rule", "select_line_ids"]
