"""Hostile and malformed input: a one-line error with exit status 2 (or an answer), in bounded
time, never a traceback, and nothing executed. Property-based with hypothesis."""

import builtins
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liepinn.cli import main
from liepinn.symbolic import JetSpace, PDEInputError, parse_expression

JET = JetSpace("x,t", "u")
VALID = [
    "u_t = u_xx",
    "u_t + u*u_x = nu*u_xx",
    "u_t + lambda1*u*u_x + lambda2*u_xxx = 0",
    "u_t = (u^m*u_x)_x",
    "u_tt = u_xx - sin(u)",
    "u_t = u_xx + u - u^3",
]


def cli(capsys, *argv):
    t0 = time.perf_counter()
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err, time.perf_counter() - t0


HOSTILE = {
    "5000 nested brackets": "u_t = " + "(" * 5000 + "u_xx" + ")" * 5000,
    "1000 nested brackets": "u_t = " + "(" * 1000 + "u_xx" + ")" * 1000,
    "3000 signs": "u_t = " + "-" * 3000 + "u_xx",
    "power tower": "u_t = " + "u^" * 2000 + "u",
    "huge power": "u_t = u_xx + 2^(10^9)",
    "huge power of a root": "u_t = u_xx + sqrt(2)^(10^9)",
    "tower of numbers": "u_t = u_xx + (10^1000)^1000",
    "huge literal": "u_t = u_xx + 1e999999",
    "huge exponent literal": "u_t = u_xx + 1e" + "9" * 5000,
    "long mantissa": "u_t = u_xx + " + "7" * 5000,
    "very long sum": "u_t = " + "+".join(["u_xx"] * 5000),
    "division by zero": "u_t = u_xx/0",
    "zero to a negative power": "u_t = u_xx*0^(-1)",
    "python code": "__import__('os').system('touch /tmp/liepinn-pwned')",
    "lambda": "(lambda: 1)()",
    "attribute": "u.__class__",
    "string": "u_t = 'u_xx'",
    "nul byte": "u_t = u_xx\x00",
    "unicode": "u_t = u_ξξ",
    "only operators": "+-*/^",
    "empty brackets": "u_t = ()",
    "dangling equals": "u_t = u_xx =",
    "two equals": "u_t = u_xx = u",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_equation_gives_one_line_exit_2(capsys, name):
    rc, out, err, seconds = cli(capsys, "symmetries", "--pde", HOSTILE[name], "--indep", "x,t", "--dep", "u")
    assert rc == 2, (name, out[:200], err[:300])
    assert err.count("\n") == 1 and "Traceback" not in err
    assert len(err) < 600
    assert seconds < 10


@pytest.mark.parametrize(
    "argv",
    [
        ["--param", "nu=" + "(" * 3000 + "1" + ")" * 3000],
        ["--param", "nu=2^(10^10)"],
        ["--param", "nu=1/0"],
    ],
)
def test_hostile_parameter_values(capsys, argv):
    rc, _, err, seconds = cli(capsys, "symmetries", "--pde", "u_t = nu*u_xx", "--indep", "x,t", "--dep", "u", *argv)
    assert rc == 2 and err.count("\n") == 1 and seconds < 10


def test_hostile_generator_for_reduce(capsys):
    gen = "(" * 3000 + "D_x" + ")" * 3000
    rc, _, err, seconds = cli(capsys, "reduce", "heat", "--generator", gen)
    assert rc == 2 and err.count("\n") == 1 and seconds < 10


def test_python_is_never_executed(tmp_path, monkeypatch, capsys):
    target = tmp_path / "pwned"
    text = f"__import__('os').system('touch {target}')"
    rc, _, _, _ = cli(capsys, "symmetries", "--pde", text, "--indep", "x,t", "--dep", "u")
    assert rc == 2 and not target.exists()


_grammar = st.sampled_from(list("ux t_()+-*/^=,.0123456789e") + ["u_x", "u_t", "u_xx", "sin(", "exp(", "**", "nu"])


def _no_eval(*args, **kwargs):
    raise AssertionError("eval/exec called while parsing user text")


@settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=120), st.lists(_grammar, max_size=60).map("".join)))
def test_parser_property_any_text(text):
    """Any string: an expression or PDEInputError, nothing else, without eval/exec."""
    saved = builtins.eval, builtins.exec
    builtins.eval = builtins.exec = _no_eval
    try:
        try:
            parse_expression(text, JET, where="equation")
        except PDEInputError as e:
            assert "\n" not in str(e)
    finally:
        builtins.eval, builtins.exec = saved


@st.composite
def _mutated(draw):
    text = draw(st.sampled_from(VALID))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "replace"]))
        ch = draw(st.sampled_from(list("()^*+-/=_xtu0123456789 ") + ["**", "^99999", "(" * 50]))
        if kind == "insert":
            text = text[:i] + ch + text[i:]
        elif kind == "delete":
            text = text[:i] + text[i + 1:]
        else:
            text = text[:i] + ch + text[i + 1:]
    return text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(_mutated())
def test_symmetries_property_mutated_equations(capsys, text):
    """A mutated valid equation: an answer (0), a one-line error (2), or a one-line give-up (1)
    after --timeout; never a traceback, always in bounded time."""
    rc, _, err, seconds = cli(capsys, "symmetries", "--pde", text, "--indep", "x,t", "--dep", "u",
                              "--no-degeneracy", "--timeout", "8")
    assert rc in (0, 1, 2), (text, err)
    assert "Traceback" not in err
    if rc:
        assert err.count("\n") == 1, (text, err)
    assert seconds < 30, text
