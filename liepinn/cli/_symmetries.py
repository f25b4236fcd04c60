"""`liepinn symmetries`: derive and verify the Lie point symmetry algebra of a PDE.

    liepinn symmetries --pde TEXT [--pde TEXT ...] --indep x,t --dep u [--param nu=0.1] [--json]
    liepinn symmetries PROBLEM [--param NAME=VALUE ...] [--json]
    liepinn symmetries PROBLEM|FILE.py:NAME --transformations [--json]
    liepinn symmetries ... --discrete [--json]
    liepinn symmetries --list

Bad input gives one line on stderr naming the equation or token, and exit status 2.
Never imports JAX.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence


def _degeneracy(algebra) -> Sequence:
    """What each generator gives as a loss term (prolonged / evolutionary form)."""
    from ..symmetry._degeneracy import degeneracy_column

    return degeneracy_column(algebra)


# Extra per-generator columns: name -> function(algebra) -> one entry per basis generator
# (strings, dicts, or objects with .summary() for the table and .to_dict() for the JSON).
# Each column is printed in the table and added to the JSON under its name.
ANNOTATORS: dict[str, Callable[[object], Sequence]] = {"degeneracy": _degeneracy}


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "symmetries",
        help="Derive and verify the Lie point symmetry algebra of a PDE.",
        description="Derive and verify the Lie point symmetry algebra of a PDE given as text or "
        "as a problem from pdes/. Parameters are generic nonzero constants unless given a value.",
    )
    add_pde_arguments(p)
    p.add_argument("--json", action="store_true", help="print the algebra as JSON")
    p.add_argument("--list", action="store_true", help="list the problems in the catalogue")
    p.add_argument("--timeout", type=float, metavar="SECONDS",
                   help="give up (exit status 1) after this many seconds")
    p.add_argument("-v", "--verbose", action="store_true", help="report the solver's steps on stderr")
    p.add_argument("--classify", metavar="PARAMS",
                   help="group classification: the values of these parameters (e.g. m or a,b) at "
                   "which the algebra grows, each case verified, and the generic case; or the forms "
                   "of an arbitrary function (f for 'u_t = u_xx + f(u)')")
    p.add_argument("--no-degeneracy", action="store_true",
                   help="leave out the degeneracy column (what each generator gives as a loss term)")
    p.add_argument("--discrete", action="store_true",
                   help="also the discrete symmetries (reflections, exchanges of variables) that leave the PDE "
                   "invariant")
    p.add_argument("--transformations", action="store_true",
                   help="the finite transformations exp(eps v) of the basis, the discrete symmetries and, for "
                   "a PROBLEM (from pdes/ or FILE.py:NAME), what it admits: for which eps each maps its "
                   "solutions to solutions (domain, boundary conditions, time window, initial data)")
    p.add_argument("--generalized", action="store_true",
                   help="generalised symmetries: characteristics Q of order <= --order (evolutionary form)")
    from ._conservation_laws import add_class_options

    add_class_options(p, order_default=None, what="characteristics (with --generalized)")


def add_pde_arguments(p) -> None:
    """PROBLEM | --pde TEXT --indep VARS --dep VARS, and --param NAME=VALUE (see `_build_pde`)."""
    p.add_argument("problem", nargs="?", metavar="PROBLEM",
                   help="a problem from pdes/ (see `liepinn symmetries --list`), instead of --pde")
    p.add_argument("--pde", action="append", metavar="TEXT",
                   help="an equation, e.g. 'u_t = nu*u_xx - u*u_x' (repeat for a system)")
    p.add_argument("--indep", metavar="VARS", help="independent variables, e.g. x,t")
    p.add_argument("--dep", metavar="VARS", help="dependent variables, e.g. u or u,v")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="give a parameter an exact value, e.g. nu=0.01/pi (repeatable)")


class _InputError(ValueError):
    pass


def _parse_params(items: Sequence[str]) -> dict:
    from ..symbolic._parse import parse_value

    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name or not value.strip():
            raise _InputError(f"--param {item!r}: expected NAME=VALUE, e.g. nu=0.01/pi")
        if not name.isidentifier():
            raise _InputError(f"--param {item!r}: {name!r} is not a parameter name")
        if name in out:
            raise _InputError(f"--param {item!r}: {name} given twice")
        out[name] = parse_value(value, where=f"--param {name}")
    return out


def _build_pde(args):
    """The PDE from the arguments, plus the catalogue entry (or None)."""
    from ..problems._catalogue import load_entry
    from ..symbolic._pde import PDE

    params = _parse_params(args.param)
    entry = None
    if args.problem is not None:
        if args.pde or args.indep or args.dep:
            raise _InputError("give either PROBLEM or --pde/--indep/--dep, not both")
        entry = load_entry(args.problem)
        pde = entry.pde
        if params:
            pde = PDE(pde.equations, pde.jet, {**{s.name: v for s, v in pde.parameters.items()}, **params},
                      source=pde.source)
    else:
        if not args.pde:
            raise _InputError("no equation: give a PROBLEM (see --list) or --pde TEXT with --indep and --dep")
        if not args.indep:
            raise _InputError("--indep is required with --pde, e.g. --indep x,t")
        if not args.dep:
            raise _InputError("--dep is required with --pde, e.g. --dep u")
        # a name given to --classify may be an arbitrary function: u_t = u_xx + f(u) --classify f
        functions = [n.strip() for n in (getattr(args, "classify", None) or "").split(",") if n.strip()]
        pde = PDE.from_text(args.pde, independent=args.indep, dependent=args.dep, parameters=params,
                            functions=functions)
    used = {s for e in pde.equations for s in e.free_symbols}
    unused = sorted(s.name for s in pde.parameters if s not in used)
    if unused:
        raise _InputError(
            f"--param {unused[0]}: {unused[0]!r} does not occur in the equations (their parameters: "
            f"{', '.join(s.name for s in pde.parameters if s in used) or 'none'})"
        )
    pde.solved_form()  # a system without principal derivatives is bad input, reported here
    return pde, entry


def run(args) -> int:
    from ..problems._catalogue import list_entries

    if args.list:
        from ..problems._catalogue import load_entry

        for name in list_entries():
            try:
                e = load_entry(name)
                print(f"{name:22s} {e.description}")
            except Exception as exc:  # a broken module must not hide the others
                print(f"{name:22s} (cannot load: {exc})")
        return 0
    if args.generalized:
        from ._conservation_laws import search

        return search(args, "symmetries", "generalized")
    if args.order is not None or args.xt_degree is not None or args.jet_degree is not None:
        print("liepinn symmetries: error: --order, --xt-degree and --jet-degree need --generalized",
              file=sys.stderr)
        return 2
    from ._user_problem import is_file_problem

    problem, pde, entry = None, None, None
    own = args.problem is not None and is_file_problem(args.problem)  # FILE.py:NAME: its PDE, with or without flags
    if args.transformations or args.discrete or own:
        if args.classify is not None and not own:
            print("liepinn symmetries: error: --transformations and --discrete do not combine with --classify",
                  file=sys.stderr)
            return 2
        problem, pde = _problem_or_exit(args)
        if problem is False:
            return 2
    if pde is None:
        pde, entry = pde_or_exit(args, "symmetries")
    if pde is None:
        return 2

    from ..symmetry import SymmetryVerificationError, symmetries

    progress = (lambda msg: print(f"  {msg}", file=sys.stderr, flush=True)) if args.verbose else None

    def compute():
        if args.classify is not None:
            from ..symmetry._classify import classify

            return classify(pde, [n.strip() for n in args.classify.split(",") if n.strip()], progress=progress)
        algebra = symmetries(pde, progress=progress)
        note = ""
        if args.transformations and problem is not None:
            from ..problems._admits import violated_assumptions

            broken = violated_assumptions(algebra, problem)
            if broken:  # the problem's values are a special case with its own (larger) algebra
                algebra = symmetries(problem.pde_values(), progress=progress)
                note = (f"the algebra at {problem.name}'s parameter values: they violate "
                        f"{', '.join(map(str, broken))}, assumed by the generic one")
        for key, fn in ANNOTATORS.items():
            if not (key == "degeneracy" and args.no_degeneracy):
                algebra.annotations[key] = list(fn(algebra))
        if args.transformations or args.discrete:
            view = _GroupView.compute(algebra, problem if args.transformations else None,
                                      subgroups=args.transformations)
            view.note = "; ".join(n for n in (note, view.note) if n)
            return view
        return algebra

    rc, result = compute_and_print("symmetries", compute, as_json=args.json, timeout=args.timeout,
                                   failures=(SymmetryVerificationError,))
    algebra = result if args.classify is None else None
    if isinstance(algebra, _GroupView):
        algebra = algebra.algebra
    if rc or result is None:
        return rc
    if entry is not None and entry.literature and not args.json and algebra is not None:
        lit = entry.literature
        got = algebra.dimension
        verdict = "matches" if got == lit["dimension"] else f"DIFFERS from the {got} found"
        print(f"Literature: dimension {lit['dimension']} ({verdict}); {lit.get('reference', '')}")
    return 0


def _problem_or_exit(args):
    """(problem, pde) for --transformations: PROBLEM from pdes/ (pde None: the usual arguments
    give it) or FILE.py:NAME (pde: the problem's own, --param values applied); problem None
    without a PROBLEM; (False, None) after a one-line error."""
    from ..problems import load_problem
    from ..problems._catalogue import load_entry
    from ..symbolic._parse import PDEInputError
    from ..symbolic._pde import PDE
    from ._user_problem import is_file_problem, resolve_problem

    if args.problem is None:
        return None, None
    try:
        params = _parse_params(args.param)
        pde = None
        if is_file_problem(args.problem):
            if args.pde or args.indep or args.dep:
                raise _InputError("give either PROBLEM or --pde/--indep/--dep, not both")
            problem = load_problem(resolve_problem(args.problem))
            pde = problem.pde
            if params:
                pde = PDE(pde.equations, pde.jet, {**{s.name: v for s, v in pde.parameters.items()}, **params},
                          source=pde.source)
        else:
            problem = load_entry(args.problem).problem
        if problem is not None and params:
            problem = problem.replace(parameters={**problem.parameters, **params})
        return problem, pde
    except (PDEInputError, _InputError, ValueError) as e:
        print(f"liepinn symmetries: error: {_one_line(e)}", file=sys.stderr)
        return False, None


class _GroupView:
    """The algebra with its finite transformations, discrete symmetries and admissibility report
    (text: the algebra's table, then one block each; JSON: the algebra's keys plus
    ``transformations``, ``discrete`` and ``admissibility``)."""

    def __init__(self, algebra, subgroups, discrete, report, note: str = ""):
        self.algebra, self.subgroups, self.discrete, self.report, self.note = (
            algebra, subgroups, discrete, report, note)

    @classmethod
    def compute(cls, algebra, problem, *, subgroups: bool):
        from ..symmetry._discrete import discrete_symmetries
        from ..symmetry._transform import transformations

        groups = transformations(algebra) if subgroups else None
        discrete = discrete_symmetries(algebra.pde)
        report, note = None, ""
        if subgroups:
            if problem is None:
                note = ("no problem (domain, conditions, initial data) given: what it admits is not decided "
                        "(give a PROBLEM from pdes/ or FILE.py:NAME)")
            else:
                from ..problems._admits import admissible

                report = admissible(problem, algebra, subgroups=groups)
        return cls(algebra, groups, discrete, report, note)

    def __str__(self) -> str:
        lines = [str(self.algebra)]
        if self.subgroups is not None:
            lines.append("Finite transformations exp(eps_k v_k):")
            for k, (g, why) in enumerate(zip(self.subgroups.subgroups, self.subgroups.failures), 1):
                lines.append(f"  v{k}: " + (str(g) if g is not None else f"no closed form ({why})"))
        lines.append("Discrete symmetries:" + ("" if self.discrete else " none among reflections and exchanges"))
        lines += [f"  {g.label}" for g in self.discrete]
        if self.report is not None:
            lines.append(str(self.report))
        if self.note:
            lines.append(f"Admissibility: {self.note}")
        return "\n".join(lines)

    def to_json(self) -> dict:
        out = self.algebra.to_json()
        if self.subgroups is not None:
            out["transformations"] = self.subgroups.to_dict()["subgroups"]
        out["discrete"] = [g.to_dict() for g in self.discrete]
        if self.subgroups is not None:
            out["admissibility"] = None if self.report is None else self.report.to_dict()
        if self.note:
            out["note"] = self.note
        return out


def pde_or_exit(args, command: str, check=None):
    """(pde, entry) from the PDE arguments, or (None, None) after a one-line error (exit 2)."""
    from ..symbolic._parse import PDEInputError

    try:
        if check is not None:
            check()
        return _build_pde(args)
    except (PDEInputError, _InputError, ValueError) as e:
        print(f"liepinn {command}: error: {_one_line(e)}", file=sys.stderr)
        return None, None


def compute_and_print(command: str, compute, *, as_json: bool, timeout: float | None,
                      failures: tuple[type[BaseException], ...] = ()):
    """Run `compute()` (a result with `to_json`) under the time limit and print it (JSON or
    text). Returns (exit status, result): 2 for bad input, 1 for a time-out, a failed
    verification (`failures`) or a crash (one line; LIEPINN_DEBUG=1 for the traceback)."""
    from ..symbolic._parse import PDEInputError

    try:
        with _time_limit(timeout):
            result = compute()
        text = json.dumps(result.to_json(), indent=2) if as_json else str(result)
    except PDEInputError as e:
        print(f"liepinn {command}: error: {_one_line(e)}", file=sys.stderr)
        return 2, None
    except _TimeLimit:
        print(f"liepinn {command}: gave up after {timeout:g} s (--timeout)", file=sys.stderr)
        return 1, None
    except failures as e:
        print(f"liepinn {command}: verification failed: {_one_line(e)}", file=sys.stderr)
        return 1, None
    except Exception as e:  # noqa: BLE001 - one line for the user, traceback on request
        if os.environ.get("LIEPINN_DEBUG"):
            raise
        print(f"liepinn {command}: failed: {type(e).__name__}: {_one_line(e)} "
              "(set LIEPINN_DEBUG=1 for a traceback)", file=sys.stderr)
        return 1, None
    try:
        print(text)
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stdout = open(os.devnull, "w")
        return 0, None
    return 0, result


from ..symbolic._deadline import OutOfTime as _TimeLimit  # noqa: E402
from ..symbolic._deadline import deadline as _time_limit  # noqa: E402


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__
