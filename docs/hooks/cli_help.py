"""mkdocs hook: the CLI page shows `liepinn COMMAND --help` for every subcommand, from the parser."""

from __future__ import annotations

MARKER = "<!-- liepinn-cli-help -->"


def _help() -> str:
    from liepinn.cli import SUBCOMMANDS, build_parser

    parser = build_parser()
    out = ["## liepinn", "", "```text", parser.format_help().rstrip(), "```", ""]
    commands = parser._subparsers._group_actions[0].choices  # argparse keeps subparsers only here
    for name in SUBCOMMANDS:
        out += [f"## liepinn {name}", "", "```text", commands[name].format_help().rstrip(), "```", ""]
    return "\n".join(out)


def on_page_markdown(markdown: str, page, config, files) -> str:
    return markdown.replace(MARKER, _help()) if MARKER in markdown else markdown
