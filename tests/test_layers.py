"""The shape of the code: imports run workers -> posterbooth -> libraries, no cycles, no Flask in the domain."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Modules that hold the domain: they must work without Flask (workers and scripts use them).
DOMAIN = (
    "posterbooth.answers", "posterbooth.outcome", "posterbooth.prompt", "posterbooth.draft", "posterbooth.submit",
    "posterbooth.poster", "posterbooth.layout", "posterbooth.fonts", "posterbooth.qr", "posterbooth.aigc",
    "posterbooth.campaigns", "posterbooth.schema", "posterbooth.models", "posterbooth.db", "posterbooth.migrate",
    "posterbooth.storage", "posterbooth.photos", "posterbooth.uploads", "posterbooth.retention",
    "posterbooth.urls", "posterbooth.participations", "posterbooth.providers", "posterbooth.versions",
    "posterbooth.campaign_references",
)
LONGEST = 500


def _modules(package: str) -> dict[str, Path]:
    found = {}
    for path in (ROOT / package).rglob("*.py"):
        if "migrations" in path.parts:
            continue  # run by Alembic, never imported
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """Map an imported dotted name to the longest project module it names."""
    parts = name.split(".")
    while parts:
        if ".".join(parts) in modules:
            return ".".join(parts)
        parts.pop()
    return None


def _imports(path: Path, module: str, modules: dict[str, Path]) -> set[str]:
    """Return the project modules ``path`` imports, at the top or inside a function."""
    found: set[str] = set()
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                prefix = ".".join(package[: len(package) - node.level + 1])
                base = f"{prefix}.{base}" if base else prefix
            # `from pkg import sub` depends on pkg.sub; `from pkg import name` on pkg itself
            subs = [f"{base}.{alias.name}" for alias in node.names]
            targets = [t for t in subs if t in modules]
            if len(targets) < len(subs):
                targets.append(base)
        else:
            continue
        found.update(r for t in targets if (r := _resolve(t, modules)) and r != module)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {**_modules("posterbooth"), **_modules("workers")}
    return {name: _imports(path, name, modules) for name, path in modules.items()}


def test_posterbooth_never_imports_workers():
    upward = sorted(f"{name} -> {target}" for name, targets in _graph().items() if name.startswith("posterbooth")
                    for target in targets if target.split(".")[0] == "workers")
    assert upward == []


def test_there_is_no_import_cycle():
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            pair = sorted(component)
            # a package importing its own submodule (pkg/__init__ -> pkg.x -> pkg) is no design cycle
            if len(pair) > 2 or (len(pair) == 2 and not pair[1].startswith(pair[0] + ".")):
                cycles.append(pair)

    for node in graph:
        if node not in index:
            visit(node)
    assert cycles == []


def test_the_domain_imports_no_flask():
    code = ("import sys\n" + "".join(f"import {name}\n" for name in DOMAIN)
            + "import posterbooth.generation.engine, posterbooth.generation.clock\n"
            + "print(sorted(m for m in sys.modules if m.split('.')[0] in {'flask', 'werkzeug', 'flask_babel'}))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_no_python_file_is_over_500_lines():
    long = sorted(f"{path.relative_to(ROOT)}: {count}" for path in ROOT.glob("**/*.py")
                  if ".git" not in path.parts and "instance" not in path.parts
                  and (count := len(path.read_text(encoding="utf-8").splitlines())) > LONGEST)
    assert long == []
