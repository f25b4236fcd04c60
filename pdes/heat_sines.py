"""The heat equation u_t = mu u_xx with random sums of sines as initial conditions (IC-conditioned)."""

from liepinn.problems import Periodic, Problem, SineSeries
from pdes.heat import literature, pde

__all__ = ["pde", "problem", "literature"]

# The setting of Akhound-Sadegh et al., "Lie Point Symmetry and Physics-Informed Networks"
# (NeurIPS 2023), as in public re-implementations: mu = 0.01, L = 6, T = 16, periodic,
# u0 = sum_j A_j sin(2 pi l_j x / L + phi_j) (Brandstetter et al. 2022). No single initial
# condition: a network is conditioned on u0 (a physics-informed DeepONet, as in the paper).
problem = Problem(
    name="heat_sines",
    pde=pde,
    domain={"x": (0, 6), "t": (0, 16)},
    initial=None,
    initial_family=SineSeries(length=6, lo=0),
    boundary=Periodic(),
    parameters={"mu": "0.01"},
    description="heat, mu = 0.01, periodic on [0, 6), t in [0, 16], u0 a random sum of sines",
)
