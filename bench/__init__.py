"""`make bench`: page timings of Parcours on a large synthetic dataset.

    python -m bench [--runs N] [--rebuild] [--database-url URL]

- `bench.dataset` builds (or reuses) the large dataset in its own database,
  `data/bench.db` by default or BENCH_DATABASE_URL / --database-url, with a fixed
  encryption key kept beside it (`data/bench.key`).
- `bench.harness` runs every page under Streamlit's AppTest, signed in as
  `direction`, the Lyon intervenant `ts.lyon`, `chef.lyon`, `fle.lyon`, `gestion`
  and `financeur.agrasc` (bench.harness.BENCH_USERS), and times warm reruns and
  the SQL they issue.
- `bench.report` (pure, no Streamlit or database) computes medians, formats the
  table and writes `bench/results.json`.

Columns: `median_ms` is the median wall time of a warm `AppTest.run()` on the page
(app.py's session check included, as on every real rerun); `sql_ms` the DBAPI
time of its statements (execute + fetch, ORM work excluded); `queries` the
statements per run; `rows` the rows those SELECTs fetched from the driver.

It is a measurement, not a test: pages over the 500 ms budget are listed but the
exit status stays 0. A page that raises, or that the role cannot reach, exits 1.
"""
