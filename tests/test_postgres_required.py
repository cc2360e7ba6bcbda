"""Under `make test` and in CI the PostgreSQL half of the server and sync tests must run: without
a database it fails with a message saying how to get one, and never skips (a bare `pytest` on a
developer's machine skips it and says how to enable it). tests/serverproc.py: require_postgres."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.serverproc import POSTGRES_ENV, REPO, REQUIRE_POSTGRES_ENV, require_postgres

# One parametrisation of each kind: the sync suite's real server process, the server suite's database.
POSTGRES_CASES = ("tests/sync/test_scope.py::test_scope_assignments_and_quarantine[postgres]",
                  "tests/server/test_sync_api.py::test_stops_at_a_gap[postgres]")


def _without_postgres(**env: str) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k not in (POSTGRES_ENV, REQUIRE_POSTGRES_ENV, "CI")}
    return {**out, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])), **env}


@pytest.mark.parametrize("env", [{"CI": "1"}, {REQUIRE_POSTGRES_ENV: "1"}, {}], ids=["CI", "make-test", "bare"])
def test_a_missing_database_fails_where_it_is_required(env: dict[str, str], monkeypatch) -> None:
    for key in (POSTGRES_ENV, REQUIRE_POSTGRES_ENV, "CI"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    expected = pytest.fail.Exception if env else pytest.skip.Exception
    with pytest.raises(expected) as caught:
        require_postgres()
    assert POSTGRES_ENV in str(caught.value) and "make test" in str(caught.value)


def test_the_suites_fail_not_skip_in_ci() -> None:
    """The real fixtures, in a pytest of their own: CI set, no database."""
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfs", *POSTGRES_CASES],
                          capture_output=True, text=True, cwd=REPO, env=_without_postgres(CI="1"), timeout=300)
    summary = done.stdout.strip().splitlines()[-1]  # a fixture that fails is an error: the run fails all the same
    assert done.returncode == 1 and "2 errors" in summary and "skipped" not in summary, done.stdout[-2000:]
    assert done.stdout.count(f"{POSTGRES_ENV} is not set") >= 2, done.stdout[-2000:]
