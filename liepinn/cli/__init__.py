"""The `liepinn` command line.

Each subcommand lives in `liepinn/cli/_<name>.py` with `add_parser(subparsers)` and
`run(args) -> int`; modules are imported only when needed so `liepinn symmetries`
never imports JAX. Bad input exits with status 2 and a one-line message, no traceback.
"""

from __future__ import annotations as annotations

import argparse
import importlib
import sys

# subcommand -> module; order is the order shown in --help
SUBCOMMANDS = {
    "symmetries": "Derive and verify the Lie point symmetry algebra of a PDE.",
    "conservation-laws": "Derive and verify the conservation laws of a PDE (multipliers, densities, fluxes).",
    "reduce": "Invariant solutions: reduce a PDE by a symmetry generator and solve.",
    "reference": "Compute a diffrax method-of-lines reference solution.",
    "train": "Train a PINN (optionally with symmetry losses).",
    "compare": "Sample-efficiency sweep with and without symmetry losses (resumable).",
    "demo": "Symmetries, training with and without the symmetry loss, a table and a plot; augmentation by the group (Burgers).",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2 (argparse prints usage + message)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _load(name: str):
    return importlib.import_module(f"liepinn.cli._{name.replace('-', '_')}")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = _Parser(prog="liepinn", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, help_text in SUBCOMMANDS.items():
        if only is not None and name != only:
            sub.add_parser(name, help=help_text, add_help=False)
            continue
        try:
            module = _load(name)
        except ModuleNotFoundError as e:
            if e.name != f"liepinn.cli._{name.replace('-', '_')}":
                raise
            sub.add_parser(name, help=help_text + " (not available in this build)")
            continue
        module.add_parser(sub)
    return parser


def _version() -> str:
    from .. import __version__

    return f"liepinn {__version__}"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    only = argv[0] if argv and argv[0] in SUBCOMMANDS else None
    parser = build_parser(only)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    from ..symbolic._parse import PDEInputError

    try:
        return int(_load(args.command).run(args) or 0)
    except (PDEInputError, ValueError, FileNotFoundError, KeyError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"liepinn {args.command}: error: {msg}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"liepinn {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
