"""Safe text -> sympy for PDEs such as ``"u_t = nu*u_xx - u*u_x"``.

A tokenizer and a recursive-descent grammar of our own; nothing is ever evaluated as Python.

    equation := expr ['=' expr]
    expr     := term (('+' | '-') term)*
    term     := unary (('*' | '/') unary)*          (implicit product '2 u' is not allowed)
    unary    := ('+' | '-') unary | power
    power    := atom [('^' | '**') unary]            (right associative)
    atom     := NUMBER | NAME | NAME '(' expr (',' expr)* ')' | '(' expr ')' ['_' VARS]

``(expr)_x`` is the total derivative D_x of the bracketed expression.

Names are classified by the caller's `JetSpace`: independent and dependent variables,
jet coordinates (``u_xt``, the same symbol as ``u_tx``), known functions, the constant
``pi``; any other name is a parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from ._jet import JetSpace

KNOWN_FUNCTIONS = {
    "sin": sp.sin,
    "cos": sp.cos,
    "tan": sp.tan,
    "exp": sp.exp,
    "log": sp.log,
    "ln": sp.log,
    "sqrt": sp.sqrt,
    "sinh": sp.sinh,
    "cosh": sp.cosh,
    "tanh": sp.tanh,
    "sech": sp.sech,
    "asin": sp.asin,
    "acos": sp.acos,
    "atan": sp.atan,
    "abs": sp.Abs,
}
CONSTANTS = {"pi": sp.pi}


class PDEInputError(ValueError):
    """Bad PDE input: the message names the equation, the offending token and what was expected."""


@dataclass(frozen=True)
class _Token:
    kind: str  # NUM, NAME, OP, END
    text: str
    pos: int


_TOKEN_RE = re.compile(
    r"\s*(?:(?P<NUM>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<NAME>[A-Za-z_][A-Za-z_0-9]*)"
    r"|(?P<OP>\*\*|[-+*/^(),=]))"
)


def _tokenize(text: str, where: str) -> list[_Token]:
    tokens = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None or m.end() == pos:
            bad = text[pos:].lstrip()[:1]
            col = len(text) - len(text[pos:].lstrip()) + 1
            raise PDEInputError(
                f"{where}: unexpected character {bad!r} at column {col}; expected a number, a "
                "name, or one of + - * / ^ ** ( ) , ="
            )
        kind = m.lastgroup
        if kind == "NAME" and m.group(kind).startswith("_"):
            if tokens and tokens[-1].text == ")":
                # '(expr)_x': total derivative of a bracketed expression
                tokens.append(_Token("DERIV", m.group(kind)[1:], m.start(kind)))
                pos = m.end()
                continue
            raise PDEInputError(
                f"{where}: name {m.group(kind)!r} at column {m.start(kind) + 1} is not allowed; "
                "expected a variable, a derivative such as u_x, a parameter or a known function"
            )
        tokens.append(_Token(kind, m.group(kind), m.start(kind)))
        pos = m.end()
    tokens.append(_Token("END", "", len(text)))
    return tokens


# Bounds that keep every input cheap to parse and to compute with (a hostile input gets a
# one-line error instead of a hang or a traceback).
MAX_LENGTH = 10_000        # characters per expression
MAX_DEPTH = 100            # nesting of brackets, signs and powers (within Python's stack)
MAX_DIGITS = 1_000         # digits of a number literal, and its decimal exponent
MAX_BITS = 100_000         # size of an exact number computed from literals (2^100000)


def _number(text: str, where: str = "number", pos: int = 0) -> sp.Expr:
    # Exact: 0.01 -> 1/100, 1e-3 -> 1/1000 (floats would break rank decisions).
    mantissa, _, exponent = text.lower().partition("e")
    if len(mantissa) > MAX_DIGITS or (exponent and (len(exponent) > 6 or abs(int(exponent)) > MAX_DIGITS)):
        raise PDEInputError(
            f"{where}: number {text[:20]}{'...' if len(text) > 20 else ''} at column {pos + 1} is out "
            f"of range; expected at most {MAX_DIGITS} digits and a decimal exponent within "
            f"+-{MAX_DIGITS}"
        )
    return sp.Rational(text)


def _bits(value: sp.Expr) -> int:
    """Size in bits of an exact rational (0 for anything else)."""
    if value.is_Rational:
        return max(abs(value.p).bit_length(), abs(value.q).bit_length())
    return 0


class _Parser:
    def __init__(self, text: str, jet: JetSpace | None, where: str, allow_equals: bool,
                 functions: dict | None = None):
        self.functions = functions or {}
        self.text = text
        self.jet = jet
        self.where = where
        self.allow_equals = allow_equals
        self.tokens = _tokenize(text, where)
        self.i = 0
        self.depth = 0
        self.parameters: set[sp.Symbol] = set()

    # -- helpers ---------------------------------------------------------------------
    def peek(self) -> _Token:
        return self.tokens[self.i]

    def next(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def fail(self, tok: _Token, expected: str):
        got = "end of input" if tok.kind == "END" else repr(tok.text)
        raise PDEInputError(f"{self.where}: unexpected {got} at column {tok.pos + 1}; expected {expected}")

    def expect(self, text: str, expected: str):
        tok = self.next()
        if tok.text != text or tok.kind == "END":
            self.fail(tok, expected)
        return tok

    # -- grammar ---------------------------------------------------------------------
    def parse(self) -> sp.Expr:
        if self.peek().kind == "END":
            raise PDEInputError(f"{self.where}: empty equation; expected an expression such as 'u_t = u_xx'")
        lhs = self.expr()
        tok = self.peek()
        if tok.text == "=" and tok.kind == "OP":
            if not self.allow_equals:
                self.fail(tok, "an expression (no '=' here)")
            self.next()
            if self.peek().kind == "END":
                self.fail(self.peek(), "an expression after '='")
            rhs = self.expr()
            result = lhs - rhs
        else:
            result = lhs
        tok = self.peek()
        if tok.kind != "END":
            if tok.text == ")":
                raise PDEInputError(
                    f"{self.where}: unbalanced brackets: ')' at column {tok.pos + 1} has no matching '('"
                )
            self.fail(tok, "an operator or the end of the equation")
        return result

    def expr(self):
        value = self.term()
        while self.peek().kind == "OP" and self.peek().text in "+-":
            op = self.next().text
            rhs = self.term()
            value = value + rhs if op == "+" else value - rhs
        return value

    def term(self):
        value = self.unary()
        while self.peek().kind == "OP" and self.peek().text in ("*", "/"):
            op = self.next().text
            rhs = self.unary()
            value = value * rhs if op == "*" else value / rhs
        tok = self.peek()
        if tok.kind in ("NUM", "NAME") or tok.text == "(":
            self.fail(tok, "an operator (write products with '*', e.g. '2*u')")
        return value

    def unary(self):
        tok = self.peek()
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise PDEInputError(
                f"{self.where}: nested deeper than {MAX_DEPTH} levels (brackets, signs or powers) "
                f"at column {tok.pos + 1}"
            )
        try:
            if tok.kind == "OP" and tok.text in "+-":
                self.next()
                value = self.unary()
                return -value if tok.text == "-" else value
            return self.power()
        finally:
            self.depth -= 1

    def power(self):
        base = self.atom()
        tok = self.peek()
        if tok.kind == "OP" and tok.text in ("^", "**"):
            self.next()
            exponent = self.unary()
            self._check_power(base, exponent, tok)
            return base ** exponent
        return base

    def _check_power(self, base, exponent, tok: _Token) -> None:
        """Refuse numeric powers too large to compute (2^(10^9) would not finish)."""
        if not (exponent.is_Rational and base.is_number):
            return
        if base.is_Rational and abs(base.p) <= 1 and base.q == 1:
            return  # 0, 1, -1
        # a non-rational numeric base (sqrt(2), pi) may still evaluate: count it as 64 bits
        size = abs(exponent) * (_bits(base) if base.is_Rational else 64)
        if size > MAX_BITS:
            raise PDEInputError(
                f"{self.where}: the power '^' at column {tok.pos + 1} is too large to compute "
                f"(about {int(size)} bits); expected numbers below 2^{MAX_BITS}"
            )

    def atom(self):
        tok = self.next()
        if tok.kind == "NUM":
            return _number(tok.text, self.where, tok.pos)
        if tok.kind == "NAME":
            if self.peek().text == "(" and self.peek().kind == "OP":
                return self.call(tok)
            return self.name(tok)
        if tok.text == "(":
            value = self.expr()
            close = self.next()
            if close.text != ")":
                if close.kind == "END":
                    raise PDEInputError(
                        f"{self.where}: unbalanced brackets: '(' at column {tok.pos + 1} is never closed"
                    )
                self.fail(close, "')'")
            if self.peek().kind == "DERIV":
                value = self.total_derivative(value, self.next())
            return value
        if tok.kind == "END":
            self.fail(tok, "a number, a name or '('")
        self.fail(tok, "a number, a name or '('")

    def total_derivative(self, value, tok: _Token):
        jet = self.jet
        names = [] if jet is None else [v.name for v in jet.independent]
        short = all(len(n) == 1 for n in names)
        letters = list(tok.text) if short else tok.text.split("_")
        if jet is None or not letters or any(ch not in names for ch in letters):
            raise PDEInputError(
                f"{self.where}: '(...)_{tok.text}' at column {tok.pos + 1}: expected total-derivative "
                f"subscripts made of the independent variables ({', '.join(names) or 'none declared'})"
            )
        for ch in letters:
            value = jet.D(value, ch)
        return value

    def call(self, tok: _Token):
        name = tok.text
        open_tok = self.next()
        args = [self.expr()]
        while self.peek().text == ",":
            self.next()
            args.append(self.expr())
        close = self.next()
        if close.text != ")":
            if close.kind == "END":
                raise PDEInputError(
                    f"{self.where}: unbalanced brackets: '(' at column {open_tok.pos + 1} is never closed"
                )
            self.fail(close, "',' or ')'")
        if name in KNOWN_FUNCTIONS:
            if len(args) != 1:
                raise PDEInputError(f"{self.where}: {name}() takes one argument, got {len(args)}")
            return KNOWN_FUNCTIONS[name](args[0])
        if name in self.functions:
            return self.functions[name](*args)
        jet = self.jet
        if jet is not None and name in {u.name for u in jet.dependent}:
            # u(x, t) written out: allowed when the arguments are exactly the independent variables.
            if tuple(args) == jet.independent:
                return sp.Symbol(name)
            raise PDEInputError(
                f"{self.where}: {name}(...) must be applied to the independent variables "
                f"{', '.join(s.name for s in jet.independent)}, got {', '.join(map(str, args))}"
            )
        raise PDEInputError(
            f"{self.where}: unknown function {name!r} at column {tok.pos + 1}; expected one of "
            f"{', '.join(sorted(KNOWN_FUNCTIONS))}"
        )

    def name(self, tok: _Token):
        name = tok.text
        if name.startswith("_"):
            raise PDEInputError(
                f"{self.where}: name {name!r} at column {tok.pos + 1} is not allowed; expected a "
                "variable, a derivative such as u_x, a parameter, or a known function"
            )
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in KNOWN_FUNCTIONS:
            self.fail(self.peek(), f"'(' after the function name {name!r}")
        jet = self.jet
        if jet is None:
            sym = sp.Symbol(name)
            self.parameters.add(sym)
            return sym
        if name in {s.name for s in jet.independent + jet.dependent}:
            return sp.Symbol(name)
        hit = jet.decode(sp.Symbol(name))
        if hit is not None:
            return jet.jet(*hit)
        if "_" in name:
            head, _, tail = name.partition("_")
            if head in {u.name for u in jet.dependent}:
                raise PDEInputError(
                    f"{self.where}: {name!r} at column {tok.pos + 1} differentiates {head} by "
                    f"{tail!r}, which is not an independent variable (declared: "
                    f"{', '.join(s.name for s in jet.independent)})"
                )
            indep = {s.name for s in jet.independent}
            letters = list(tail) if all(len(v) == 1 for v in indep) else tail.split("_")
            if letters and all(ch in indep for ch in letters):
                raise PDEInputError(
                    f"{self.where}: {name!r} at column {tok.pos + 1} looks like a derivative of "
                    f"{head!r}, which is not a dependent variable (declared: "
                    f"{', '.join(s.name for s in jet.dependent)})"
                )
        sym = sp.Symbol(name)
        self.parameters.add(sym)
        return sym


def parse_expression(text: str, jet: JetSpace | None = None, *, where: str = "expression",
                     allow_equals: bool = True, functions: dict | None = None) -> tuple[sp.Expr, set[sp.Symbol]]:
    """Parse `text` into a sympy expression (``lhs = rhs`` gives ``lhs - rhs``).

    `functions` maps names of arbitrary functions (``f`` in ``u_t = u_xx + f(u)``) to sympy
    function classes. Returns the expression and the set of parameter symbols found. Never
    evaluates Python.
    """
    if not isinstance(text, str):
        raise PDEInputError(f"{where}: expected a string, got {type(text).__name__}")
    if len(where) > 120:  # the caller quotes the text: keep the message one short line
        where = where[:100] + "..." + where[-12:]
    if len(text) > MAX_LENGTH:
        raise PDEInputError(f"{where}: {len(text)} characters; expected at most {MAX_LENGTH}")
    parser = _Parser(text, jet, where, allow_equals, functions)
    try:
        expr = parser.parse()
    except RecursionError:  # sympy itself recursing on a deep but legal expression
        raise PDEInputError(f"{where}: the expression is nested too deeply") from None
    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise PDEInputError(f"{where}: division by zero (the expression evaluates to {expr})"
                            if len(sp.sstr(expr)) < 60 else f"{where}: division by zero")
    return expr, parser.parameters


def parse_value(text: str, *, where: str = "value") -> sp.Expr:
    """Parse a parameter value such as ``0.01/pi`` exactly (no variables allowed)."""
    expr, params = parse_expression(str(text), None, where=where, allow_equals=False)
    if params:
        raise PDEInputError(
            f"{where}: a value must be a number or constant expression, found name(s) "
            f"{', '.join(sorted(p.name for p in params))}"
        )
    return expr
