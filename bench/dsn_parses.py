"""Count calls to the DSN parser (config/dsn.py parse_dsn) during one `luna-db create`.

Usage: PYTHONPATH=. .venv/bin/python bench/dsn_parses.py [luna-db args; @DSN@ is the throwaway server's DSN]
Starts a throwaway PostgreSQL (tests/pgcluster.py), runs `luna-db create --dsn ... --create-database -q`
in-process with a counting wrapper around parse_dsn, and prints the call count and the callers.
"""
import collections
import sys
import traceback

sys.path.insert(0, ".")  # the checkout run from: measure another commit from its worktree
from click.testing import CliRunner  # noqa: E402

import luna_db_tools.config.dsn as dsn_module  # noqa: E402
from tests.pgcluster import LocalCluster  # noqa: E402

calls = collections.Counter()
original = dsn_module.parse_dsn


def counting(text):
    stack = traceback.extract_stack(limit=4)[:-1]
    calls[" <- ".join(f"{f.filename.split('luna_db_tools/')[-1]}:{f.lineno} {f.name}" for f in reversed(stack))] += 1
    return original(text)


dsn_module.parse_dsn = counting
from luna_db_tools.cli import main  # noqa: E402

for name, module in list(sys.modules.items()):
    if name.startswith("luna_db_tools") and getattr(module, "parse_dsn", None) is original:
        module.parse_dsn = counting

# Every call from config/settings.py into config/dsn.py ("visits"), whatever the function.
import luna_db_tools.config.settings as settings_module  # noqa: E402

visits = collections.Counter()


def visiting(function):
    def wrapper(*args, **kwargs):
        visits[function.__name__] += 1
        return function(*args, **kwargs)
    return wrapper


for attribute in ("parse_dsn", "parse_host_list", "port_number", "masked"):
    setattr(settings_module, attribute, visiting(getattr(settings_module, attribute)))

with LocalCluster() as server:
    dsn = server.dsn("luna_streams")
    calls.clear()
    visits.clear()
    args = [a.replace("@DSN@", dsn).replace("@BASE@", dsn.rsplit("/", 1)[0]) for a in (sys.argv[1:] or ["create", "--dsn", "@DSN@", "--create-database", "-q"])]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    print("exit", result.exit_code, result.stderr.strip()[:300])
    print("parse_dsn calls:", sum(calls.values()))
    print("settings.py -> dsn.py calls:", sum(visits.values()), dict(visits))
    for where, count in calls.most_common():
        print(f"  {count}  {where}")
