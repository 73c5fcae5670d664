"""The built-in functions: importing this package registers every implementation.

One module per group of the catalog (`stdlib/`); each registers its functions
and methods in `registry` with the decorators `method` and `function`.
"""

from deluge.builtins import collections, common, conversion, dates, text  # noqa: F401
