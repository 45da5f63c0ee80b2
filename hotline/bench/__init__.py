"""Benchmarks run by ``hotline bench PART`` (never timed assertions in the test suite).

Each part is a module here with ``register(subparsers)``; its ``run`` returns a :class:`BenchSection` of
Markdown that ``--write`` puts into docs/BENCHMARKS.md between that part's markers, so every figure in that
file is produced by the command.
"""

# Every part, in the order ``hotline bench all`` runs them (each a module here).
PARTS: tuple[str, ...] = ("intake", "inbox", "voice", "exit", "audit", "rotation")
# Parts that use no database: ``hotline bench all`` runs each once, and its section names no database.
STANDALONE: tuple[str, ...] = ("transcribe",)
# Parts that run on PostgreSQL only: ``hotline bench all`` runs them when given --database-url.
POSTGRESQL_ONLY: tuple[str, ...] = ("region",)
