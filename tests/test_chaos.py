"""Chaos: 100 short seeded runs against a model server failing at random.

The runs themselves are :mod:`guiagent.testing.chaos` (``scripts/chaos.py
--runs 1000`` runs more): every run must end with a defined outcome and leave a
complete log whose recorded requests add up to what the server received, and
no file may hold the secret (which the page echoes in its URL and title) in
any encoded form.
"""

from guiagent.testing.chaos import every_fault_covered, run_chaos

SEED = 20261129
RUNS = 100


def test_chaos(tmp_path, capsys):
    stats = run_chaos(RUNS, SEED, tmp_path)
    with capsys.disabled():
        print("\n" + stats.summary(SEED))
    assert stats.crashes == []
    assert stats.unreadable == []
    assert stats.secret_leaks == []
    assert stats.violations == []
    assert stats.runs == RUNS
    assert every_fault_covered(stats)  # every kind of fault was exercised
    assert {"done", "error", "stuck"} <= set(stats.outcomes)
