"""Subcommands of the `liepinn` command line, one module each."""
