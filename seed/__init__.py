"""Synthetic French data for Parcours: `demo` (four sites, ~300 files) and `large` (benchmarks).

Run `python -m seed --help`; from code use `seed.generator.seed_database` and
`seed.accounts.DEMO_ACCOUNTS`. Nothing is imported here, so that the app can read
the demo accounts without loading Faker.
"""
