"""`liepinn symmetries`: JSON schema, readable output, and bad input (exit 2, one line)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

from liepinn.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run(capsys, *argv):
    rc = main(["symmetries", *argv])
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--pde", "u_t = (u_xx", "--indep", "x,t", "--dep", "u"], "unbalanced brackets"),
        (["--pde", "u_t = foo(u)", "--indep", "x,t", "--dep", "u"], "unknown function 'foo'"),
        (["--pde", "u_t = u_yy", "--indep", "x,t", "--dep", "u"], "'u_yy'"),
        (["--pde", "v_t = u_xx", "--indep", "x,t", "--dep", "u"], "'v_t'"),
        (["--pde", "__import__('os').system('echo pwned')", "--indep", "x,t", "--dep", "u"], "'__import__'"),
        (["--pde", "", "--indep", "x,t", "--dep", "u"], "empty equation"),
        (["--pde", "u_t = u_xx", "--indep", "x,t", "--dep", "u", "--param", "x=1"], "'x'"),
        (["--pde", "sin(u_x) + sin(u_t) = 1", "--indep", "x,t", "--dep", "u"], "principal derivative"),
        (["--pde", "u_t^2 + v_x^2 = 1", "--pde", "u_x^2 = v_t^2", "--indep", "x,t", "--dep", "u,v"],
         "equation 1 ('u_t^2 + v_x^2 = 1') has no principal derivative"),
        (["--pde", "u_t = nu*u_xx", "--indep", "x,t", "--dep", "u", "--param", "nu"], "NAME=VALUE"),
        (["--pde", "u_t = nu*u_xx", "--indep", "x,t", "--dep", "u", "--param", "nu=a/2"], "name(s) a"),
        (["--pde", "u_t = nu*u_xx", "--indep", "x,t", "--dep", "u", "--param", "mu=1"], "'mu'"),
        (["--pde", "u_t = u_xx", "--dep", "u"], "--indep"),
        (["--pde", "u_t = u_xx", "--indep", "x,t"], "--dep"),
        (["heat", "--pde", "u_t = u_xx"], "not both"),
        (["no_such_problem"], "unknown problem 'no_such_problem'"),
        ([], "no equation"),
        (["--pde", "u_t = u_xx", "--indep", "x,x", "--dep", "u"], "'x'"),
    ],
)
def test_bad_input(capsys, argv, fragment):
    rc, out, err = run(capsys, *argv)
    assert rc == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("liepinn symmetries: error: ")
    assert "Traceback" not in err
    assert fragment in err


def test_bad_input_in_a_fresh_process():
    cmd = [sys.executable, "-m", "liepinn.cli", "symmetries", "--pde", "u_t = u_x", "--pde", "v_t = (u",
           "--indep", "x,t", "--dep", "u,v"]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "equation 2" in res.stderr and "Traceback" not in res.stderr


def test_list(capsys):
    rc, out, _ = run(capsys, "--list")
    assert rc == 0
    names = [line.split()[0] for line in out.splitlines()]
    assert {"heat", "burgers", "kdv", "nls", "allen_cahn", "telegraph"} <= set(names)


SCHEMA_KEYS = {"pde", "independent", "dependent", "parameters", "generators", "superposition", "infinite",
               "assumptions", "commutators"}


def _check_schema(data):
    assert SCHEMA_KEYS <= set(data)
    for g in data["generators"]:
        assert set(g) == {"xi", "phi"}
        assert set(g["xi"]) <= set(data["independent"]) and set(g["phi"]) <= set(data["dependent"])
        for value in list(g["xi"].values()) + list(g["phi"].values()):
            sp.sympify(value)
    n = len(data["generators"])
    for key, combo in data["commutators"].items():
        i, j = map(int, key.split(","))
        assert 1 <= i < j <= n
        for k, c in combo.items():
            assert 1 <= int(k) <= n
            sp.sympify(c)
    for a in data["assumptions"]:
        sp.sympify(a)


def test_json_for_a_problem(capsys):
    rc, out, err = run(capsys, "heat", "--json", "--timeout", "120")
    assert rc == 0, err
    data = json.loads(out)
    _check_schema(data)
    assert len(data["generators"]) == 6
    assert data["superposition"] is not None
    assert data["parameters"] == {"mu": None}


def test_json_for_text_input_keeps_parameter_values_exact(capsys):
    rc, out, err = run(capsys, "--pde", "u_t + u*u_x = nu*u_xx", "--indep", "x,t", "--dep", "u",
                       "--param", "nu=0.01/pi", "--json")
    assert rc == 0, err
    data = json.loads(out)
    _check_schema(data)
    assert data["parameters"] == {"nu": "1/(100*pi)"}
    assert sp.sympify(data["parameters"]["nu"]) == sp.Rational(1, 100) / sp.pi
    assert len(data["generators"]) == 5
    assert data["superposition"] is None
    assert [d["prolonged"] for d in data["degeneracy"]] == ["no signal"] * 3 + ["re-weighted residual"] * 2


def test_readable_output(capsys):
    rc, out, err = run(capsys, "burgers")
    assert rc == 0, err
    assert "∂x" in out and "Commutators" in out and "v5" in out
    assert "Literature: dimension 5 (matches)" in out
    # the losses' degeneracy column: translations and the boost give nothing in prolonged form
    rows = [line for line in out.splitlines() if line.startswith("  v")]
    assert [("prolonged: no signal" in r) for r in rows[:5]] == [True, True, True, False, False]
    assert all("evolutionary: new information" in r for r in rows[:5])
    rc, out, _ = run(capsys, "burgers", "--no-degeneracy")
    assert rc == 0 and "degeneracy" not in out


def test_system_and_problem_parameters(capsys):
    rc, out, err = run(capsys, "nls", "--param", "alpha=1/2", "--param", "kappa=1", "--json")
    assert rc == 0, err
    data = json.loads(out)
    assert data["parameters"] == {"alpha": "1/2", "kappa": "1"}
    assert data["dependent"] == ["u", "v"] and len(data["generators"]) == 5


def test_annotation_hook(capsys, monkeypatch):
    from liepinn.cli import _symmetries as cli

    class Note:
        def __init__(self, k):
            self.k = k

        def summary(self):
            return f"note {self.k}"

        def to_dict(self):
            return {"k": self.k}

    monkeypatch.setitem(cli.ANNOTATORS, "notes", lambda alg: [Note(k) for k in range(len(alg.basis))])
    rc, out, _ = run(capsys, "kdv")
    assert rc == 0 and "notes" in out and "note 3" in out
    rc, out, _ = run(capsys, "kdv", "--json")
    assert json.loads(out)["notes"] == [{"k": k} for k in range(4)]
