"""Mutation testing of the pure domain modules with mutmut, and their score. Not run in CI (CPU-heavy).

    pip install "mutmut>=3.3,<3.4"
    nice -n 19 python bench/mutation.py                  # every domain module below
    nice -n 19 python bench/mutation.py --only urls storage --children 2

It copies the project into a scratch folder, writes mutmut's settings there (mutate only the modules
named in DOMAIN, run only their fast unit tests), runs ``mutmut run`` and prints, per module and in
total, the mutants killed, survived, without a covering test and timed out, and the score:

    score = killed / (killed + survived + no tests + timed out)

A mutant that no test covers counts against the score, and so does one whose test run times out (after
``--wall-limit`` seconds of wall time, 300 by default, or mutmut's CPU-time limit).
``--keep`` leaves the scratch folder for ``mutmut results`` / ``mutmut show <name>`` there, to read the survivors.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Module (under posterbooth/) -> its fast unit tests.
DOMAIN: dict[str, tuple[str, ...]] = {
    "answers": ("tests/test_answers.py",),
    "outcome": ("tests/test_answers.py",),
    "prompt": ("tests/test_answers.py",),
    "layout": ("tests/test_poster_layout.py",),
    "urls": ("tests/test_urls_and_storage.py",),
    "uploads": ("tests/test_uploads.py",),
    "storage": ("tests/test_urls_and_storage.py",),
}
#: What the tests read besides the code (copied, never mutated).
ALSO_COPY = ("workers", "campaigns", "templates", "static", "docs", "app.py")
#: mutmut's exit codes per mutant (mutmut 3.x): 1 killed, 0 survived, 33 no tests, 36/24/-24 timeout.
KILLED, SURVIVED, NO_TESTS = {1, 3}, {0}, {5, 33}
TIMEOUT = {36, 24, -24, 152, 255}


#: Runs mutmut's command line with its wall-clock watchdog replaced. mutmut 3.3 stops a mutant's test run after
#: 15 × (its tests' estimated time + 1) s of wall time, comparing every running mutant with the estimate of each
#: mutant of the same file, and estimates from the call phase only (milliseconds): any run over about 15 s of
#: wall time is stopped and counted as a timeout. At ``nice -n 19`` on a shared machine that stops the runs of
#: surviving mutants (every upload test, about 7 s of CPU), so survivors were miscounted as timeouts. The
#: replacement stops a run only after WALL_LIMIT seconds of wall time; mutmut's own CPU-time limit
#: (RLIMIT_CPU, 30 × (estimate + 1) s) still stops a mutant that loops.
_CLI = """
import os, signal, sys, time
from datetime import datetime
import mutmut.__main__ as mm

def timeout_checker(mutants):
    files = list({id(m): m for m, _, _ in mutants}.values())
    def check():
        while True:
            time.sleep(1)
            now = datetime.now()
            for m in files:
                with mm.START_TIMES_BY_PID_LOCK:
                    started = dict(m.start_time_by_pid)
                for pid, start in started.items():
                    if (now - start).total_seconds() > WALL_LIMIT:
                        try:
                            os.kill(pid, signal.SIGXCPU)
                        except ProcessLookupError:
                            pass
    return check

mm.timeout_checker = timeout_checker
sys.exit(mm.cli())
"""


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def prepare(scratch: Path, modules: list[str]) -> None:
    """Copy the project into ``scratch`` and write mutmut's settings for the chosen modules."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", "mutants", "instance", "media")
    for name in ("posterbooth", "tests", *ALSO_COPY):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, scratch / name, ignore=ignore)
        elif source.exists():
            shutil.copy2(source, scratch / name)
    # One test process: mutmut runs pytest itself, for one mutant at a time (the suite's `-n 2` is for CI).
    settings = (ROOT / "pyproject.toml").read_text(encoding="utf-8").replace(" -n 2", " -n 0")
    (scratch / "pyproject.toml").write_text(settings, encoding="utf-8")
    chosen = {f"posterbooth/{m}.py" for m in modules}
    others = sorted(str(p.relative_to(scratch)) for p in (scratch / "posterbooth").rglob("*.py")
                    if str(p.relative_to(scratch)) not in chosen)
    tests = sorted({t for m in modules for t in DOMAIN[m]})
    with (scratch / "pyproject.toml").open("a", encoding="utf-8") as out:
        out.write("\n[tool.mutmut]\n")
        out.write('paths_to_mutate = ["posterbooth/"]\n')
        out.write(f"do_not_mutate = {_toml_list(others)}\n")
        out.write(f"also_copy = {_toml_list([n + ('/' if (ROOT / n).is_dir() else '') for n in ALSO_COPY])}\n")
        out.write(f"tests_dir = {_toml_list(tests)}\n")


def score(scratch: Path, modules: list[str]) -> tuple[dict[str, Counter[str]], float]:
    """Read mutmut's results from its .meta files: counts per module, and the total score."""
    per_module: dict[str, Counter[str]] = {}
    for module in modules:
        meta = scratch / "mutants" / "posterbooth" / f"{module}.py.meta"
        counts: Counter[str] = Counter()
        if meta.exists():
            for code in json.loads(meta.read_text())["exit_code_by_key"].values():
                if code in KILLED:
                    counts["killed"] += 1
                elif code in SURVIVED:
                    counts["survived"] += 1
                elif code in NO_TESTS:
                    counts["no tests"] += 1
                elif code in TIMEOUT:
                    counts["timeout"] += 1
                elif code is None:
                    counts["not checked"] += 1
                else:
                    counts[f"exit {code}"] += 1
        per_module[module] = counts
    total = sum(per_module.values(), Counter())
    judged = total["killed"] + total["survived"] + total["no tests"] + total["timeout"]
    return per_module, (total["killed"] / judged if judged else 0.0)


def main(argv: list[str] | None = None) -> int:
    """Run mutmut on the domain modules and print the score."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=sorted(DOMAIN), help="modules to mutate (default: all)")
    parser.add_argument("--children", type=int, default=max(1, (os.cpu_count() or 2) - 1),
                        help="mutants tested at once")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (to read the survivors)")
    parser.add_argument("--wall-limit", type=float, default=300.0,
                        help="seconds of wall time after which a mutant's test run counts as a timeout")
    args = parser.parse_args(argv)
    modules = args.only or sorted(DOMAIN)
    scratch = Path(tempfile.mkdtemp(prefix="posterbooth-mutation-"))
    began = time.monotonic()
    try:
        prepare(scratch, modules)
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        # Not `python -m mutmut`: mutated code imports mutmut.__main__, which must not be a second copy of it.
        cli = _CLI.replace("WALL_LIMIT", repr(float(args.wall_limit)))
        run = subprocess.run([sys.executable, "-c", cli, "run", "--max-children", str(args.children)],
                             cwd=scratch, env=env, check=False)
        per_module, total = score(scratch, modules)
        print(f"\nmutation testing of {', '.join(modules)} ({time.monotonic() - began:.0f} s, mutmut exit "
              f"{run.returncode})")
        for module, counts in per_module.items():
            judged = sum(counts[k] for k in ("killed", "survived", "no tests", "timeout"))
            rate = f"{counts['killed'] / judged:.1%}" if judged else "n/a"
            print(f"  {module:10s} {rate:>7s}  " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        print(f"score: {total:.1%} of mutants killed")
        if args.keep:
            print(f"scratch folder kept: {scratch} (cd there; python -m mutmut results)")
        return 0 if run.returncode == 0 else run.returncode
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
