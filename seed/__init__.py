"""Synthetic French data for Parcours: `demo` (four sites, ~300 files) and `large` (benchmarks).

Run `python -m seed --help`; from code (ops/ only, and the tests) use `seed.generator.seed_database`.
The data is calibrated on public orders of magnitude, each named beside its figure: names per nationality
(seed/names.py), gender, nationality and age mix (seed/people.py), CECRL pace and droit commun
(seed/courses.py), funders and amounts (seed/funding.py), volumes (seed/sizes.py, seed/outreach.py);
tests/ops/test_seed_calibration.py checks the ranges at the demo size.
The showcase accounts it creates are `services.accounts.demo.DEMO_ACCOUNTS`: the login page lists them.
"""
