"""`liepinn train PROBLEM --out DIR`: train a PINN (optionally with symmetry losses) into a
training directory.

    liepinn train PROBLEM [--variant residual|prolonged|evolutionary|gpinn]
                  [--generators all|1,2,...] [--weight W] [--n-collocation N] [--steps K]
                  [--lbfgs-steps L] [--seed S | --seeds N] [--width W --depth D] [--float64]
                  [--constraints hard|soft] [recipe options ...] [--overwrite] --out DIR

DIR gets config.json, history.csv, model.eqx (`liepinn.load_run(DIR)` rebuilds it),
metrics.json (rel_l2 against the exact solution or the diffrax reference, per seed and
mean/std) and plots. Network, collocation and optimiser come from the problem's training
recipe (`liepinn.runs.RECIPES`; hard constraints, residual-adaptive sampling, float64 self-scaled Broyden);
every recipe field is an option. Rerunning the same command resumes (or reports that the run
is done); different settings are refused unless --overwrite.
"""

from __future__ import annotations

import argparse
import dataclasses
import os

# Recipe fields set by the main options (or renamed): field -> flag
_MAIN = {"width": "--width", "depth": "--depth", "n_collocation": "--n-collocation",
         "steps": "--steps", "adam_float64": "--float64"}
_RENAMED = {"learning_rate": "--learning-rate"}
_CHOICES = {"refinement": ("none", "rad", "rar")}
_HELP = {
    "activation": "activation function",
    "fourier_features": "random Fourier features of the inputs (0: none)",
    "fourier_sigma": "scale of the Fourier features",
    "sampler": "collocation sampler",
    "resample_every": "draw fresh collocation points every this many steps ('none': fixed)",
    "refinement": "residual-based refinement of the points: rad, rar or none",
    "refine_every": "refine every this many Adam steps",
    "refine_k": "RAD exponent k in |r|^k / E|r|^k + c",
    "refine_c": "RAD constant c",
    "refine_candidates": "candidate points per refinement",
    "learning_rate": "Adam learning rate (decayed exponentially to decay * lr)",
    "decay": "final / initial Adam learning rate",
    "log_every": "log the loss terms every this many steps",
    "max_time": "stop training after this many seconds ('none': no limit)",
}


_NONE = "none"  # an explicit 'none' on the command line (None means: the option was not given)


def _none_or(kind):
    def parse(text: str):
        if text.lower() == "none":
            return _NONE
        try:
            return kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {kind.__name__} or 'none', got {text!r}") from None

    parse.__name__ = kind.__name__
    return parse


def _recipe_options(group) -> None:
    """One option per Recipe field not covered by the main options (new fields appear here)."""
    from ..runs._recipe import _SAMPLERS, Recipe

    default = Recipe()
    for f in Recipe.__dataclass_fields__.values():
        if f.name in _MAIN:
            continue
        flag = _RENAMED.get(f.name, "--" + f.name.replace("_", "-"))
        value = getattr(default, f.name)
        help_text = _HELP.get(f.name, f"recipe field {f.name}") + " (default: the recipe's)"
        kw: dict = dict(dest=f"recipe_{f.name}", default=None, help=help_text)
        flags = [flag] + (["--lr"] if f.name == "learning_rate" else [])
        typ = str(f.type)
        if typ == "bool":
            group.add_argument(*flags, action=argparse.BooleanOptionalAction, **kw)
            continue
        if f.name == "sampler":
            kw["choices"] = sorted(_SAMPLERS)
        elif f.name in _CHOICES:
            kw["choices"] = _CHOICES[f.name]
        elif typ == "int":
            kw["type"] = int
        elif typ == "float":
            kw["type"] = float
        elif typ == "int | None":
            kw["type"] = _none_or(int)
        elif typ == "float | None":
            kw["type"] = _none_or(float)
        elif not isinstance(value, str) and value is not None:
            continue  # a field the command line cannot express
        group.add_argument(*flags, metavar=f.name.upper() if "choices" not in kw else None, **kw)


def defaults_text() -> str:
    """What a run without options trains: the Python API's defaults (`RunSpec`, `liepinn.fit`)."""
    from ..runs import RECIPES, Recipe, RunSpec

    r, s = Recipe(), RunSpec("any")
    second = r.second_phase
    own = ", ".join(sorted(k for k in RECIPES if k != "default"))
    return (f"Defaults are the Python API's (`RunSpec(problem)`, `liepinn.fit`): the problem's recipe in "
            f"liepinn.runs.RECIPES (a problem of its own there: {own}), else Recipe(): a {r.width} x {r.depth} {r.activation} "
            f"MLP, {r.n_collocation:,} {r.sampler} points, {r.steps} Adam steps"
            + (f" + {second.steps} {type(second).__name__} steps" if second is not None else "")
            + f"; {s.constraints} constraints; the residual loss (symmetry terms: evolutionary form, "
            f"normaliser initial, weight 1); a {s.eval_nx} x {s.eval_nt} evaluation grid. `liepinn compare` "
            "sweeps have their own, smaller defaults (see its --help).")


def add_parser(subparsers) -> argparse.ArgumentParser:
    from .. import cli
    from ..train import second_phase_names
    from ..losses import Residual
    from ..losses._variants import form_names, normaliser_names, variant_names

    VARIANTS = variant_names()

    p = subparsers.add_parser(
        "train", help=cli.SUBCOMMANDS["train"],
        description=__doc__.split("\n\n")[0].replace("\n", " ") + " " + defaults_text(),
    )
    p.add_argument("problem", metavar="PROBLEM", nargs="?", help="a problem of pdes/ (e.g. burgers, heat), or FILE.py[:NAME] with your own liepinn.Problem (the file is imported: it runs)")
    p.add_argument("--out", metavar="DIR", help="the training directory (resumable; required)")
    p.add_argument("--list", action="store_true",
                   help="list the problems of pdes/: which train with `liepinn train`, and why the others don't")
    loss = p.add_argument_group("loss")
    loss.add_argument("--variant", choices=VARIANTS, default=None,
                      help="interior loss: residual, + symmetry terms (prolonged, evolutionary), or gpinn "
                           "(default: residual)")
    loss.add_argument("--symmetry", choices=(Residual.name,) + form_names(), default=None,
                      help="alias of --variant")
    loss.add_argument("--generators", default=None,
                      help="symmetry generators: 'all' or 1-based numbers like 1,2,5 (the numbering of "
                           "`liepinn symmetries`; default: all)")
    loss.add_argument("--weight", type=float, default=None,
                      help="weight of each symmetry / gPINN term (default: 1)")
    loss.add_argument("--normaliser", choices=normaliser_names(), default=None,
                      help="scaling of the symmetry / gPINN terms: initial (each equals the residual term on "
                           "a fixed calibration network), coefficients (by the generator's coefficient "
                           "size), none (default: initial)")
    loss.add_argument("--constraints", choices=("hard", "soft"), default="hard",
                      help="initial and Dirichlet conditions exactly (output transform) or as loss terms "
                           "(default %(default)s)")
    loss.add_argument("--n-initial", type=int, default=128, help="initial-condition points (soft; default %(default)s)")
    loss.add_argument("--n-boundary", type=int, default=64, help="boundary points per end (soft, Neumann; default %(default)s)")
    loss.add_argument("--ic-weight", type=float, default=1.0, help="weight of the initial term (soft; default %(default)s)")
    loss.add_argument("--bc-weight", type=float, default=1.0, help="weight of the boundary term (soft; default %(default)s)")

    main = p.add_argument_group("network, points, optimiser")
    main.add_argument("--recipe", default=None,
                      help="base recipe of liepinn.runs.RECIPES (default: the problem's, else 'default')")
    main.add_argument("--n-collocation", type=int, default=None, help="interior collocation points (default: the recipe's)")
    main.add_argument("--steps", type=int, default=None, help="Adam steps (default: the recipe's)")
    main.add_argument("--lbfgs-steps", type=int, default=None,
                      help="steps of the second phase after Adam (0: none; default: the recipe's)")
    main.add_argument("--second-phase", "--quasi-newton", dest="second_phase", default=None,
                      choices=second_phase_names(),
                      help="the method after Adam: lbfgs, bfgs (dense), ssbfgs / ssbroyden (self-scaled, "
                           "dense, strong-Wolfe line search) (default: the recipe's)")
    main.add_argument("--lbfgs-memory", type=int, default=None, help="L-BFGS memory (default: the recipe's)")
    main.add_argument("--lbfgs-float64", action=argparse.BooleanOptionalAction, default=None,
                      help="run the second phase in float64 (default: the recipe's)")
    main.add_argument("--lbfgs-resample", action=argparse.BooleanOptionalAction, default=None,
                      help="keep refining the collocation points in the second phase (default: the recipe's)")
    main.add_argument("--width", type=int, default=None, help="network width (default: the recipe's)")
    main.add_argument("--depth", type=int, default=None, help="hidden layers (default: the recipe's)")
    main.add_argument("--float64", action="store_true", help="train every phase in float64")
    seeds = main.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=int, default=None, help="one seed (default: 0)")
    seeds.add_argument("--seeds", type=int, default=None, metavar="N",
                       help="seeds 0..N-1, trained together (vmapped)")
    main.add_argument("--harmonics", type=int, default=4, help="periodic problems: harmonics of the periodic input features (default %(default)s)")
    main.add_argument("--symmetrise", metavar="IMAGES", default=None,
                      help="make the network exactly invariant under a discrete symmetry of the problem, "
                           "given by its images, e.g. 'x=-x,u=-u' (Burgers: odd); (N + g.N)/2")
    _recipe_options(p.add_argument_group("recipe options (default: the recipe's value)"))

    other = p.add_argument_group("evaluation and output")
    other.add_argument("--eval-nx", type=int, default=256, help="evaluation grid points in x (default %(default)s)")
    other.add_argument("--eval-nt", type=int, default=100, help="evaluation grid times (default %(default)s)")
    other.add_argument("--reference", metavar="FILE", default=None,
                       help="evaluate against this .mat (PINN data) or .npz (liepinn reference) file "
                            "instead of the exact solution / diffrax reference")
    other.add_argument("--checkpoint-every", type=int, default=1000, help="steps between checkpoints (default %(default)s)")
    other.add_argument("--overwrite", action="store_true", help="replace a run with different settings in DIR")
    other.add_argument("--no-plots", action="store_true", help="write no PNG plots")
    other.add_argument("--quiet", action="store_true", help="no progress output")

    layout = p.add_argument_group("devices (the layout changes where training runs, not its settings)")
    layout.add_argument("--shard", choices=("points", "seeds"), default=None,
                        help="split the collocation points over the devices, parameters replicated and "
                             "gradients all-reduced (points), or the seeds of --seeds N (seeds; the "
                             "default with several seeds)")
    layout.add_argument("--devices", type=int, default=None, metavar="N",
                        help="use the first N devices (default: all). On a CPU, N host devices are "
                             "created (XLA_FLAGS=--xla_force_host_platform_device_count=N)")
    return p


def sharding_from_args(args):
    """The `liepinn.train` sharding strategy of --shard / --devices (None: the default layout).
    Call before JAX starts, so that --devices can create host devices on a CPU."""
    import os

    n = getattr(args, "devices", None)
    kind = getattr(args, "shard", None)
    if n is not None and (isinstance(n, bool) or n < 1):
        raise ValueError(f"--devices must be a positive number of devices, got {n}")
    if n is None and kind is None:
        return None
    if n is not None and n > 1:
        flag = f"--xla_force_host_platform_device_count={n}"
        if flag not in os.environ.get("XLA_FLAGS", ""):
            os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + flag).strip()
    import jax

    from ..train import PointSharding, SeedSharding

    available = jax.devices()
    if n is not None and n > len(available):
        raise ValueError(f"--devices {n}: JAX sees {len(available)} {available[0].platform} device(s) "
                         f"(on a CPU, host devices can only be created before JAX starts in this process)")
    devices = tuple(available[:n]) if n is not None else None
    if kind == "points":
        return PointSharding(devices=devices)
    return SeedSharding(devices)


def _second_phase(base, args):
    """The recipe's second phase with the command line's changes (None: Adam only)."""
    from ..train import LBFGS
    from ..train import second_phase_from_name

    for flag, v, lo in (("--lbfgs-steps", args.lbfgs_steps, 0), ("--lbfgs-memory", args.lbfgs_memory, 1)):
        if v is not None and v < lo:
            raise ValueError(f"{flag} must be >= {lo}, got {v}")
    method = args.second_phase or (LBFGS.name if base is None else base.name)
    settings = {} if base is None else {k: v for k, v in base.to_json().items() if k != "method"}
    if base is None:
        settings["dtype"] = "float64"
    if base is not None and base.name != method:  # another method: keep the common settings only
        settings = {k: settings[k] for k in ("steps", "dtype", "resample", "linesearch_steps")}
    if args.lbfgs_memory is not None:
        if method != LBFGS.name:
            raise ValueError(f"--lbfgs-memory applies to the lbfgs second phase, not {method}")
        settings["memory"] = args.lbfgs_memory
    for key, v in (("steps", args.lbfgs_steps), ("resample", args.lbfgs_resample)):
        if v is not None:
            settings[key] = v
    if args.lbfgs_float64 is not None:
        settings["dtype"] = "float64" if args.lbfgs_float64 else None
    if args.float64:
        settings["dtype"] = "float64"
    if not settings.get("steps"):
        return None
    return second_phase_from_name(method, **settings)


def settings_from_args(args):
    """The `RunSpec` the arguments describe (ValueError with a clear message if bad)."""
    from ..losses import Residual
    from ..losses._variants import variant_from_name
    from ..runs import RECIPES, PeriodicMLP, RunSpec
    from ._user_problem import resolve_problem

    args.problem = resolve_problem(args.problem)

    if args.variant is not None and args.symmetry is not None and args.variant != args.symmetry:
        raise ValueError(f"--variant {args.variant} and --symmetry {args.symmetry} disagree (--symmetry is an "
                         "alias of --variant: give one)")
    variant = variant_from_name(args.variant or args.symmetry or Residual.name, weight=args.weight,
                                normaliser=args.normaliser, generators=args.generators)
    name_of = args.variant or args.symmetry or Residual.name
    fields = {f.name for f in dataclasses.fields(variant)}
    for flag, value, field in (("--generators", args.generators, "generators"), ("--weight", args.weight, "weight"),
                               ("--normaliser", args.normaliser, "normaliser")):
        if value is not None and field not in fields:
            raise ValueError(f"{flag} applies to variants with {field}; {name_of!r} has none")
    if args.weight is not None and not args.weight > 0:
        raise ValueError(f"--weight must be > 0, got {args.weight}")

    name = args.recipe or (args.problem if args.problem in RECIPES else "default")
    if name not in RECIPES:
        raise ValueError(f"--recipe {name!r} unknown; recipes: {', '.join(sorted(RECIPES))}")
    changes = {}
    for field in RECIPES[name].__dataclass_fields__:
        if field in _MAIN:
            continue
        v = getattr(args, f"recipe_{field}", None)
        if v is not None:
            changes[field] = None if v == _NONE else v
    for field, flag in _MAIN.items():
        v = getattr(args, field if field != "adam_float64" else "float64")
        if field == "adam_float64":
            if v:
                changes["adam_float64"] = True
            continue
        if v is not None:
            changes[field] = v
    changes["second_phase"] = _second_phase(RECIPES[name].second_phase, args)
    checks = {"n_collocation": 1, "steps": 0, "width": 1, "depth": 1, "log_every": 1,
              "refine_every": 1, "refine_candidates": 1, "fourier_features": 0, "resample_every": 1}
    for field, lo in checks.items():
        v = changes.get(field)
        if v is not None and v < lo:
            flag = _MAIN.get(field, _RENAMED.get(field, "--" + field.replace("_", "-")))
            raise ValueError(f"{flag} must be >= {lo}, got {v}")
    for field in ("learning_rate", "max_time", "fourier_sigma"):
        v = changes.get(field)
        if v is not None and not v > 0:
            raise ValueError(f"{_RENAMED.get(field, '--' + field.replace('_', '-'))} must be > 0, got {v}")
    recipe = RECIPES[name].replace(**changes)
    if recipe.steps + recipe.lbfgs_steps == 0:
        raise ValueError("nothing to train: --steps and --lbfgs-steps are both 0")

    if args.seeds is not None:
        if args.seeds < 1:
            raise ValueError(f"--seeds must be >= 1, got {args.seeds}")
        seeds = tuple(range(args.seeds))
    else:
        seeds = (0 if args.seed is None else args.seed,)
        if seeds[0] < 0:
            raise ValueError(f"--seed must be >= 0, got {seeds[0]}")
    for flag, v, lo in (("--n-initial", args.n_initial, 1), ("--n-boundary", args.n_boundary, 0),
                        ("--harmonics", args.harmonics, 1), ("--eval-nx", args.eval_nx, 2),
                        ("--eval-nt", args.eval_nt, 2), ("--checkpoint-every", args.checkpoint_every, 1)):
        if v < lo:
            raise ValueError(f"{flag} must be >= {lo}, got {v}")
    for flag, v in (("--ic-weight", args.ic_weight), ("--bc-weight", args.bc_weight)):
        if not v >= 0:
            raise ValueError(f"{flag} must be >= 0, got {v}")
    return RunSpec(
        problem=args.problem, recipe=recipe, loss=variant, seeds=seeds,
        constraints=args.constraints, n_initial=args.n_initial, n_boundary=args.n_boundary,
        ic_weight=args.ic_weight, bc_weight=args.bc_weight,
        network=_network(args),
        eval_nx=args.eval_nx, eval_nt=args.eval_nt,
        reference=None if args.reference is None else os.path.abspath(args.reference),
        checkpoint_every=args.checkpoint_every,
    )


def _network(args):
    base = None if args.harmonics == 4 else PeriodicMLP(harmonics=args.harmonics)
    if args.symmetrise is None:
        return base
    from ..runs._networks import SymmetrisedNetwork

    return SymmetrisedNetwork(args.symmetrise, base=base)


def _summary(s) -> str:
    r = s.recipe
    extra = {k: v for k, v in s.loss.to_json().items() if k not in ("variant", "form")}
    loss = s.loss.label + (" (" + ", ".join(f"{k} {v}" for k, v in extra.items()) + ")" if extra else "")
    seeds = f"seed {s.seeds[0]}" if len(s.seeds) == 1 else f"{len(s.seeds)} seeds vmapped"
    refine = f", {r.refinement.upper()} every {r.refine_every}" if r.refinement else ""
    return (f"{s.problem}: {loss}; {s.constraints} constraints; {r.width}x{r.depth} {r.activation}; "
            f"{r.n_collocation} {r.sampler} points{refine}; Adam {r.steps}"
            + (", no second phase" if r.second_phase is None else f" + {type(r.second_phase).__name__} {r.lbfgs_steps}")
            + f"{' (float64)' if r.second_phase is not None and r.second_phase.dtype == 'float64' else ''}"
            f"{', all float64' if r.adam_float64 else ''}; {seeds}")


def trainable() -> list[tuple[str, str | None]]:
    """(name, None) for each entry of pdes/ that `liepinn train` can train, (name, why not) for
    the others."""
    from ..problems import is_conditioned, list_entries, load_entry
    from ..runs import RunSpec
    from ..runs._assemble import check_problem

    out = []
    for name in list_entries():
        try:
            problem = load_entry(name).problem
        except Exception as e:  # noqa: BLE001 - a broken entry must not hide the others
            out.append((name, f"the entry does not load ({e})"))
            continue
        if problem is None:
            out.append((name, "no domain or initial/boundary conditions defined (symmetries only)"))
        elif is_conditioned(problem):
            out.append((name, "a family of initial conditions: train it with `liepinn compare` (DeepONet)"))
        else:
            try:
                check_problem(problem, RunSpec(name))
                out.append((name, None))
            except ValueError as e:
                out.append((name, str(e)))
    return out


def run(args) -> int:
    import sys

    from ..runs._directory import fmt, train_run
    from ..train._loop import NonFiniteLossError

    if args.list:
        for name, why in trainable():
            print(f"{name:24s} {'trains' if why is None else 'no: ' + why}")
        return 0
    if args.problem is None or args.out is None:
        raise ValueError("give PROBLEM and --out DIR (or --list)")
    sharding = sharding_from_args(args)  # first: --devices must act before JAX starts
    settings = settings_from_args(args)
    say = (lambda m: None) if args.quiet else (lambda m: print(m, flush=True))
    say(f"liepinn train {_summary(settings)} -> {args.out}")
    try:
        outcome = train_run(settings, args.out, overwrite=args.overwrite, progress=not args.quiet,
                            plots=not args.no_plots, say=say, sharding=sharding)
    except NonFiniteLossError as e:
        print(f"liepinn train: error: {e} (the last checkpoint in {args.out} is kept; change the settings "
              "and rerun with --overwrite)", file=sys.stderr)
        return 1
    m = outcome.metrics
    if outcome.status != "done":
        spread = f" ± {fmt(m['rel_l2_std'])} over {len(m['seeds'])} seeds" if len(m["seeds"]) > 1 else ""
        terms = ", ".join(f"{k} {fmt(v)}" for k, v in m["final"].items() if k != "grad_norm")
        ref = m["reference"]
        ref_name = ref["kind"] if ref["kind"] != "file" else ref["path"]
        print(f"rel_l2 {fmt(m['rel_l2'])}{spread} (vs {ref_name}); wall {m['wall_time_s']:.1f} s; "
              f"converged {m['converged']}{'; stopped: ' + m['stopped'] if m['stopped'] else ''}\n"
              f"final terms: {terms}\n-> {outcome.directory}", flush=True)
    else:
        print(f"rel_l2 {fmt(m.get('rel_l2'))} (stored) -> {outcome.directory}", flush=True)
    return 0
