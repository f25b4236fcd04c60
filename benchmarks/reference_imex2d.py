"""2-D references with a stiff diffusion: explicit (Tsit5) against IMEX (KenCarp5, the
diffusion implicit, solved by 2-D FFTs), and a small-epsilon Allen-Cahn with the default solver.

    python benchmarks/reference_imex2d.py            # eps = 1 on 256^2, then eps = 1/1000
    python benchmarks/reference_imex2d.py --eps 1 --n 128

Allen-Cahn u_t = eps (u_xx + u_yy) + u - u^3 on [-pi, pi)^2 (pdes/allen_cahn2d), t in [0, 1]:
with eps = 1 on a fixed n^2 Fourier grid the diffusion is stiff (dissipative stiffness
2 (n/2)^2); with small eps it is not (the interfaces sharpen, the grid grows instead).
Prints steps, wall and CPU seconds, and the largest difference between the two solvers.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eps", default="1")
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--small-eps", default="1/1000", help="the default-solver run (auto resolution)")
    args = ap.parse_args(argv)
    import diffrax as dfx

    from liepinn import load_entry
    from liepinn.reference import solve_reference

    warnings.simplefilter("ignore")
    base = load_entry("allen_cahn2d").problem
    ac = base.replace(parameters={"eps": args.eps})
    out = {}
    for solver in (dfx.Tsit5(), dfx.KenCarp5()):
        t0, c0 = time.perf_counter(), time.process_time()
        r = solve_reference(ac, nx=16, nt=3, resolution=args.n, solver=solver, rtol=1e-8, atol=1e-10,
                            warn_after=None)
        out[type(solver).__name__] = r.fields["u"]
        print(f"eps={args.eps} n={args.n} {type(solver).__name__}: {r.settings['attempts'][-1]['num_steps']} steps, "
              f"{time.perf_counter() - t0:.1f} s wall, {time.process_time() - c0:.1f} s CPU, "
              f"stiffness {r.settings['stiffness']}", flush=True)
    print(f"max |Tsit5 - KenCarp5| = {np.abs(out['Tsit5'] - out['KenCarp5']).max():.2g}")
    small = base.replace(parameters={"eps": args.small_eps})
    t0, c0 = time.perf_counter(), time.process_time()
    r = solve_reference(small, nx=64, nt=11, rtol=1e-8, atol=1e-10, warn_after=None)
    s = r.settings
    print(f"eps={args.small_eps}, default solver: {s['solver']} (imex {s['imex']}), resolution {s['resolution']}, "
          f"tail {s['spectral_tail']:.1e}, {sum(a['num_steps'] for a in s['attempts'])} steps, "
          f"{time.perf_counter() - t0:.1f} s wall, {time.process_time() - c0:.1f} s CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
