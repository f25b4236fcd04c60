"""Burgers' equation u_t + u u_x = nu u_xx with random sums of sines as initial conditions."""

from liepinn.problems import Periodic, Problem, SineSeries
from pdes.burgers import literature, pde

__all__ = ["pde", "problem", "literature"]

# The setting of Akhound-Sadegh et al., "Lie Point Symmetry and Physics-Informed Networks"
# (NeurIPS 2023), as in public re-implementations: nu = 0.1, L = 2 pi, T = 2.475, periodic,
# u0 = sum_j A_j sin(2 pi l_j x / L + phi_j) (Brandstetter et al. 2022).
problem = Problem(
    name="burgers_sines",
    pde=pde,
    domain={"x": (0, "2*pi"), "t": (0, "2.475")},
    initial=None,
    initial_family=SineSeries(length="2*pi", lo=0),
    boundary=Periodic(),
    parameters={"nu": "0.1"},
    description="Burgers, nu = 0.1, periodic on [0, 2 pi), t in [0, 2.475], u0 a random sum of sines",
)
