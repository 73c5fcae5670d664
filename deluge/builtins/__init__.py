"""The built-in functions, one module per group of the catalog (`stdlib/`).

Each module registers its functions and methods in `registry` with the
decorators `method` and `function`. Modules are imported on demand, by name
(`registry.ensure`), so a script loads only the groups it uses;
`registry.load_all()` imports every one.
"""
