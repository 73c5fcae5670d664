"""Syntax: source text to nodes (`parser.parse`), with the nodes themselves in `nodes`.

Nothing is imported here eagerly: the runtime needs `datetext` without the
parser (and Lark) being loaded.
"""
