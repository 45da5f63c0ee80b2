"""Benchmarks run by ``hotline bench PART`` (never timed assertions in the test suite).

Each part is a module here with ``register(subparsers)``; its ``run`` returns a :class:`BenchSection` of
Markdown that ``--write`` puts into docs/BENCHMARKS.md between that part's markers, so every figure in that
file is produced by the command.
"""
