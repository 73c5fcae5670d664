"""The built-in functions: importing this package registers every implementation.

One module per group of the catalog (`stdlib/`); each registers its functions
and methods in `registry` with the decorators `method` and `function`. The
order matters where two modules serve one name on different receiver kinds:
later imports win for the kinds they register.
"""

from deluge.builtins import (  # noqa: F401
    collections,
    common,
    conversion,
    datefmt,
    dates,
    encoding,
    files,
    jsontext,
    number,
    records,
    regex,
    text,
    xmltext,
)
