"""Syntax: source text to nodes (`parse`), with the nodes themselves in `nodes`."""

from deluge.syntax.parser import parse

__all__ = ["parse"]
