"""Disk cost of the models sweeps keep: bytes of one stored model (float64 weights, as after
the float64 L-BFGS phase) for the sweep defaults (`liepinn.experiments.sweep_defaults`).

    python benchmarks/sweep_model_size.py [PROBLEM ...]     # default: heat burgers heat_sines
"""

from __future__ import annotations

import io
import sys


def main(argv=None) -> int:
    import equinox as eqx
    import jax
    import jax.numpy as jnp
    import jax.random as jr

    from liepinn.experiments import sweep_defaults
    from liepinn.problems import load_problem
    from liepinn.runs import assemble

    for name in (argv if argv else ["heat", "burgers", "heat_sines"]):
        spec = sweep_defaults(name)
        a = assemble(load_problem(name), spec)
        with jax.enable_x64(True):
            arrays, static = eqx.partition(a.make_model(jr.PRNGKey(0)), eqx.is_inexact_array)
            model = eqx.combine(jax.tree.map(lambda x: x.astype(jnp.float64), arrays), static)
            buf = io.BytesIO()
            eqx.tree_serialise_leaves(buf, model)
        n = sum(x.size for x in jax.tree.leaves(arrays))
        print(f"{name}: {a.network.name} {spec.recipe.width} x {spec.recipe.depth}, {n} parameters, "
              f"{len(buf.getvalue()):,} bytes per stored model")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
