"""Synthetic French data for Parcours: `demo` (four sites, ~300 files) and `large` (benchmarks).

Run `python -m seed --help`; from code (ops/ only, and the tests) use `seed.generator.seed_database`.
The showcase accounts it creates are `services.accounts.demo.DEMO_ACCOUNTS`: the login page lists them.
"""
