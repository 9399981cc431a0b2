"""Safe element-wise expressions for recipes: ``2 * (tau / dist) ** 2 * eq``.

The text is parsed with `ast` and only a whitelist of node types is accepted: numbers,
names of inputs/parameters/earlier expressions, arithmetic and comparison operators,
``& | ~`` on masks, and calls of a fixed set of numpy ufuncs. The tree is then walked
by our own evaluator: nothing is ever passed to `eval`/`exec`, so a recipe file cannot
run code. Values are numpy arrays or astropy Quantities; astropy checks units.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from pdsgen.errors import RecipeError

#: Functions an expression may call (all element-wise).
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sqrt": np.sqrt, "exp": np.exp, "log": np.log, "log10": np.log10, "log2": np.log2,
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "arcsin": np.arcsin, "arccos": np.arccos,
    "arctan": np.arctan, "arctan2": np.arctan2, "hypot": np.hypot, "abs": np.abs,
    "floor": np.floor, "ceil": np.ceil, "minimum": np.minimum, "maximum": np.maximum,
    "where": np.where, "isnan": np.isnan, "isfinite": np.isfinite, "clip": np.clip,
    "degrees": np.degrees, "radians": np.radians, "mod": np.mod,
}
CONSTANTS: dict[str, float] = {"pi": float(np.pi), "inf": float(np.inf), "nan": float(np.nan)}

_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.Pow: operator.pow, ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod, ast.BitAnd: operator.and_, ast.BitOr: operator.or_,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert}
_CMPOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.Eq: operator.eq, ast.NotEq: operator.ne,
}


@dataclass(frozen=True)
class Expression:
    """A checked expression; `evaluate` walks the tree over a namespace of arrays."""

    text: str
    tree: ast.Expression
    names: frozenset[str]  # the input/parameter names it uses

    def evaluate(self, namespace: Mapping[str, Any]) -> Any:
        return _eval(self.tree.body, namespace, self.text)


def compile_expression(text: str, *, names: Iterable[str] | None = None, where: str = "") -> Expression:
    """Parse and whitelist-check ``text``; ``names`` (if given) are the names it may use."""
    prefix = f"{where}: " if where else ""
    if not isinstance(text, str) or not text.strip():
        raise RecipeError(f"{prefix}empty expression")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise RecipeError(f"{prefix}syntax error in {text!r} at character {exc.offset}") from None
    allowed = set(names) if names is not None else None
    used: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expression | ast.Load | ast.operator | ast.unaryop | ast.cmpop):
            if isinstance(node, ast.operator) and type(node) not in _BINOPS:
                raise RecipeError(f"{prefix}operator {type(node).__name__} is not allowed in {text!r}")
            continue
        if isinstance(node, ast.BinOp | ast.UnaryOp | ast.Compare):
            continue
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise RecipeError(f"{prefix}only numbers may be written literally, not {node.value!r}")
            continue
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                fname = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
                raise RecipeError(f"{prefix}function {fname!r} is not allowed (allowed: {', '.join(sorted(FUNCTIONS))})")
            if node.keywords:
                raise RecipeError(f"{prefix}keyword arguments are not allowed in {text!r}")
            continue
        if isinstance(node, ast.Name):
            if node.id in FUNCTIONS and _is_callee(tree, node):
                continue
            if node.id in CONSTANTS:
                continue
            if allowed is not None and node.id not in allowed:
                raise RecipeError(f"{prefix}unknown name {node.id!r} in {text!r} (known: {', '.join(sorted(allowed))})")
            used.add(node.id)
            continue
        raise RecipeError(f"{prefix}{type(node).__name__} is not allowed in expressions ({text!r})")
    return Expression(text=text, tree=tree, names=frozenset(used))


def _is_callee(tree: ast.AST, name: ast.Name) -> bool:
    return any(isinstance(n, ast.Call) and n.func is name for n in ast.walk(tree))


def _eval(node: ast.AST, ns: Mapping[str, Any], text: str) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in ns:
            return ns[node.id]
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        raise RecipeError(f"expression {text!r}: no value for {node.id!r}")
    if isinstance(node, ast.BinOp):
        return _BINOPS[type(node.op)](_eval(node.left, ns, text), _eval(node.right, ns, text))
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_eval(node.operand, ns, text))
    if isinstance(node, ast.Compare):
        left = _eval(node.left, ns, text)
        result = None
        for op, comp in zip(node.ops, node.comparators, strict=True):
            right = _eval(comp, ns, text)
            r = _CMPOPS[type(op)](left, right)
            result = r if result is None else (result & r)
            left = right
        return result
    if isinstance(node, ast.Call):
        args = [_eval(a, ns, text) for a in node.args]
        if not isinstance(node.func, ast.Name):  # the parser admits plain names only
            raise RecipeError(f"expression {text!r}: only named functions can be called")
        return FUNCTIONS[node.func.id](*args)
    raise RecipeError(f"expression {text!r}: cannot evaluate {type(node).__name__}")  # pragma: no cover


@dataclass(frozen=True)
class Conversion:
    """A ``convert`` text: ``/1000000``, ``*1e-3``, ``+273.15`` or an expression in ``x``.

    ``factor`` is the pure scale factor when the conversion is one (for the unit check:
    ``Microsec`` × 1e-6 must be ``s``), else ``None``.
    """

    text: str
    expression: Expression
    factor: float | None

    def apply(self, x: Any) -> Any:
        return self.expression.evaluate({"x": x})


def compile_convert(text: str, *, where: str = "") -> Conversion:
    """Compile a ``convert`` string; a leading operator applies to the raw value ``x``."""
    if not isinstance(text, str) or not text.strip():
        raise RecipeError(f"{where}: empty conversion")
    t = text.strip()
    body = f"x {t}" if t[0] in "*/+-" else t
    expr = compile_expression(body, names={"x"}, where=where)
    factor: float | None = None
    e = expr.tree.body
    if isinstance(e, ast.BinOp) and isinstance(e.left, ast.Name) and e.left.id == "x":
        try:
            k = float(_eval(e.right, {}, body))
        except (RecipeError, TypeError, ValueError):
            k = None
        if k is not None and isinstance(e.op, ast.Mult):
            factor = k
        elif k is not None and isinstance(e.op, ast.Div) and k != 0:
            factor = 1.0 / k
    elif isinstance(e, ast.Name) and e.id == "x":
        factor = 1.0
    return Conversion(text=t, expression=expr, factor=factor)
