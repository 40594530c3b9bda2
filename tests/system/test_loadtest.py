"""`make loadtest` in small (issue 18, item 5): the same runner and locust file, a tenth of
the people for half a minute on a demo company, so that the load test cannot rot between
the runs that write docs/benchmarks.md. Runs with PROD_CHECK=1 (make prod-check)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from scripts.prodstack import NGINX

ROOT = Path(__file__).resolve().parents[2]
PG = os.environ.get("PROD_CHECK_PG", "postgres://postgres@127.0.0.1:5432")
DATABASE = f"ud_loadcheck_{os.getpid()}"

pytestmark = [
    pytest.mark.skipif(os.environ.get("PROD_CHECK") != "1", reason="make prod-check runs it"),
    pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed"),
]


def test_every_role_of_the_cold_morning_works_through_the_stack(tmp_path):
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as pg:
        pg.execute(f'DROP DATABASE IF EXISTS "{DATABASE}"')
        pg.execute(f'CREATE DATABASE "{DATABASE}"')
    env = {
        **os.environ,
        "DATABASE_URL": f"{PG}/{DATABASE}",
        "UTILITYDESK_VAR_DIR": str(tmp_path / "var"),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    try:
        for command in (["migrate", "-v0"], ["load_demo", "--customers", "600"]):
            subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True)
        result_file = tmp_path / "result.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "scripts.loadtest",
                "--customers",
                "0",
                "--cases",
                "0",
                "--scale",
                "0.05",
                "--minutes",
                "0.75",
                "--web-workers",
                "2",
                "--result",
                str(result_file),
            ],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=600,
        )
    finally:
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as pg:
            pg.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    result = json.loads(result_file.read_text())
    operations = {row["operation"]: row for row in result["operations"]}
    assert result["errors"] == 0, result["failures"]
    assert result["cases_created"] > 0
    # Each kind of person got its work done through nginx: a page or a call of each role.
    for name in (
        "agent: screen-pop (API)",
        "agent: intake, new case (API)",
        "dispatcher: unit queue page",
        "leader: dashboard",
        "household: my cases page",
    ):
        assert operations[name]["requests"] > 0, name
    assert result["lag_readings"] > 0 and result["worker_mb_max"] > 0
