"""The IC-conditioned (physics-informed DeepONet) path in the default suite: a tiny sweep through
the store and the report, and the IC-family evaluation checked against exact solutions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from liepinn.experiments import ResultStore, RunConfig, Sweep, run_sweep, write_report
from liepinn.problems import load_problem
from liepinn.runs._assemble import TEST_IC_KEY, TRAIN_IC_KEY, References, assemble, ic_family
from liepinn.runs._networks import sensor_points

_TINY = {"eval_nx": 16, "eval_nt": 5, "n_test_ics": 2, "sensors": 8, "n_basis": 4, "log_every": 5}


def test_tiny_ic_conditioned_sweep_stores_and_reports(tmp_path):
    """heat_sines with 2 training ICs, 2 seeds, 10 Adam steps, 1 test IC: finite errors on test,
    training and moved ICs, the DeepONet, references cached per IC, a report with their columns."""
    sweep = Sweep(problems=("heat_sines",), samples=(16,), n_ics=(2,), seeds=2, variants=("residual",),
                  steps=10, lbfgs_steps=0, width=8, depth=1, n_initial=8, n_boundary=0,
                  options=dict(_TINY, n_test_ics=1))
    out = run_sweep(sweep, tmp_path, progress=None)
    assert out.trained == 2 and len(ResultStore(tmp_path).records()) == 2
    for r in out.records:
        f = r.result["rel_l2_fields"]
        assert r.result["network"] == "deeponet" and r.config.n_ics == 2
        assert len(f["per_test_ic"]) == 1 and len(f["per_train_ic"]) == 1  # min(n_ics, n_test_ics)
        assert all(math.isfinite(e) and e > 0 for e in f["per_test_ic"] + f["per_train_ic"])
        assert r.rel_l2 == pytest.approx(np.mean(f["per_test_ic"]))  # the headline: test ICs
        assert f["train_ics"] == pytest.approx(np.mean(f["per_train_ic"]))
        assert math.isfinite(r.wall_time) and r.wall_time > 0
    # out of distribution: the test ICs moved by admissible group elements, one reference each
    ood = out.records[0].result["rel_l2_fields"]["per_ood_ic"]
    assert len(ood) == 1 and all(math.isfinite(e) for e in ood)
    refs = list((tmp_path / "references").glob("*.npz"))
    assert len(refs) == 3  # a test, a training and a moved test IC
    rep = write_report(out.records, tmp_path)
    assert "## heat_sines, 2 training ICs" in rep.text and "on training ICs" in rep.text
    assert "out of distribution (moved test ICs)" in rep.text and math.isfinite(rep.rows[0].ood_mean)
    assert "| 16 | residual | 2 | 0/2 |" in rep.text
    assert rep.rows[0].n_ics == 2 and math.isfinite(rep.rows[0].train_ics_mean)


class _Oracle:
    """A stand-in for a trained DeepONet: `model(points, branch)` answers the exact heat
    solution u = sum_j A_j sin(k_j (x - lo) + phi_j) exp(-mu k_j^2 t) of whichever known IC has
    these sensor values (`known`: (sensor values, coefficients)), after `remap` (a wrong
    answer on purpose); an IC it does not know gets u = 0."""

    def __init__(self, family, known, mu, remap=None):
        self.family, self.known, self.mu, self.remap = family, known, mu, remap or {}

    def __call__(self, pts, branch):
        pts, branch = np.asarray(pts, float), np.asarray(branch, float)
        hits = [i for i, (s, _) in enumerate(self.known) if np.allclose(s, branch, atol=1e-5)]
        if not hits:
            return np.zeros((len(pts), 1))
        amp, ell, phase = self.known[self.remap.get(hits[0], hits[0])][1]
        k = 2 * np.pi * np.asarray(ell, float) / float(self.family.length)
        x, t = pts[:, :1], pts[:, 1:2]
        u = amp * np.sin(k * (x - float(self.family.lo)) + phase) * np.exp(-self.mu * k**2 * t)
        return u.sum(axis=1, keepdims=True)


def test_ic_family_evaluation_is_what_it_claims():
    """The headline error is on `n_test_ics` test ICs drawn apart from the training ICs, each
    against its own reference; 'train_ics' is on the ICs the loss trains on."""
    problem = load_problem("heat_sines")
    config = RunConfig(problem="heat_sines", samples=16, n_collocation=16, variant="residual", seed=0,
                       steps=1, lbfgs_steps=0, lr=1e-3, n_ics=3, width=8, depth=1, n_initial=8,
                       n_boundary=0, options=tuple(sorted(dict(_TINY, eval_nx=32, eval_nt=9).items())))
    asm = assemble(problem, config.spec())
    fam, test = ic_family(problem, 2, TEST_IC_KEY)
    _, train = ic_family(problem, 3, TRAIN_IC_KEY)
    sensors = sensor_points(problem, 8)
    # the training data are the training ICs; no test IC is one of them
    assert np.allclose(np.asarray(asm.data["branch"]), fam.evaluate(train, sensors), atol=1e-6)
    assert not np.isclose(test[0][:, None, :], train[0][None, :, :]).all(axis=-1).any()

    def known(coefs, n):
        return [(fam.evaluate(coefs, sensors)[j], tuple(np.asarray(c)[j] for c in coefs)) for j in range(n)]

    mu = float(problem.parameters["mu"])
    refs = References(None)

    def run(oracle):
        errors, fields = asm.evaluate(lambda k: oracle, 1, refs)
        return errors[0], fields[0]

    # the exact solution operator: every reference is its IC's solution (diffrax, to ~1e-5)
    err, f = run(_Oracle(fam, known(test, 2) + known(train, 3), mu))
    assert err < 1e-3 and max(f["per_test_ic"]) < 1e-3 and len(f["per_train_ic"]) == 2
    assert f["train_ics"] < 1e-3
    # answering each test IC with the other one's solution is wrong: each IC has its own reference
    err, _ = run(_Oracle(fam, known(test, 2), mu, remap={0: 1, 1: 0}))
    assert err > 0.1
    # a network that only memorised the training ICs: exact on them, no use on the test ICs
    err, f = run(_Oracle(fam, known(train, 3), mu))
    assert f["train_ics"] < 1e-3 and err == pytest.approx(1.0)
