"""The library stands without Airflow: only the adapter package `optline.tasks` may import it.

Two checks, each with a unit that shows it can fail:

- dynamic: in a fresh interpreter where `airflow` and `airflow.*` cannot be imported (a
  `sys.meta_path` finder raises ImportError), every module `pkgutil.walk_packages` finds
  under optline, the adapter package excepted, imports; a failure names the module, the
  error and the lines of the package it came through;
- static: no `import airflow` / `from airflow ...` (top level or indented, or
  `importlib.import_module("airflow...")`) in include/optline outside include/optline/tasks/,
  and no library module (cli.py included) imports `optline.tasks`; each one named file:line.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import PROJECT

LIBRARY = PROJECT / "include" / "optline"
ADAPTERS = "tasks"  # include/optline/tasks/: the one package that may import Airflow

# Run with `python -c PROBE <package> <exempt package>`; prints one JSON line.
PROBE = r'''
import importlib, importlib.abc, importlib.util, json, os, pkgutil, sys, traceback

package, exempt = sys.argv[1], sys.argv[2]


class NoAirflow(importlib.abc.MetaPathFinder):
    """Airflow is not installed, as far as this interpreter can tell."""

    def find_spec(self, name, path=None, target=None):
        if name == "airflow" or name.startswith("airflow."):
            raise ImportError(f"Airflow is unimportable here (import of {name!r})", name=name)
        return None


preloaded = sorted(m for m in sys.modules if m == "airflow" or m.startswith("airflow."))
sys.meta_path.insert(0, NoAirflow())
failures, checked = {}, []


def exempted(name):
    return name == exempt or name.startswith(exempt + ".")


def describe(exc):
    root = os.path.dirname(importlib.util.find_spec(package).origin)
    ours = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(root + os.sep)]
    frames = [f"{os.path.relpath(f.filename, os.path.dirname(root))}:{f.lineno}" for f in ours]
    via = f" (via {' -> '.join(frames)}: `{ours[-1].line}`)" if ours else ""
    return f"{type(exc).__name__}: {exc}{via}"


def onerror(name):
    if not exempted(name):
        failures.setdefault(name, describe(sys.exc_info()[1]))


try:
    root = importlib.import_module(package)
except Exception as exc:
    failures[package] = describe(exc)
else:
    checked.append(package)
    for info in pkgutil.walk_packages(root.__path__, package + ".", onerror=onerror):
        if exempted(info.name):
            continue
        checked.append(info.name)
        try:
            importlib.import_module(info.name)
        except Exception as exc:
            failures.setdefault(info.name, describe(exc))
loaded = sorted(m for m in sys.modules if m == "airflow" or m.startswith("airflow."))
print(json.dumps({"checked": checked, "failures": failures, "preloaded": preloaded, "loaded": loaded}))
'''


def import_without_airflow(package: str, exempt: str, *, pythonpath: Path | None = None) -> dict:
    """Import every module of `package` but `exempt`'s in a fresh interpreter without Airflow."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(pythonpath), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    done = subprocess.run([sys.executable, "-c", PROBE, package, exempt], cwd=pythonpath or PROJECT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def airflow_imports(root: Path, package: str = "optline", adapters: str = ADAPTERS) -> list[str]:
    """`file:line: what` for every import of Airflow, or of the adapter package, in the modules of
    `root` (the folder of `package`) outside `root/adapters/`."""
    adapter_pkg = f"{package}.{adapters}"
    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if relative.parts[0] == adapters:
            continue
        module = ".".join((package, *relative.with_suffix("").parts)).removesuffix(".__init__")
        current = module if path.name == "__init__.py" else module.rpartition(".")[0]
        where = f"{root.name}/{relative.as_posix()}"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: resolve against the module's own package
                    parent = current.split(".")[: len(current.split(".")) - node.level + 1]
                    base = ".".join([*parent, *([base] if base else [])])
                names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
                  and isinstance(node.args[0].value, str)
                  and getattr(node.func, "attr", getattr(node.func, "id", None)) in ("import_module", "__import__")):
                names = [node.args[0].value]
            for name in names:
                if name == "airflow" or name.startswith("airflow."):
                    found.append(f"{where}:{node.lineno}: imports {name}")
                    break
                if name == adapter_pkg or name.startswith(adapter_pkg + "."):
                    found.append(f"{where}:{node.lineno}: imports the adapter package ({name})")
                    break
    return found


# --- the library -----------------------------------------------------------------------------

def test_every_library_module_imports_without_airflow():
    result = import_without_airflow("optline", f"optline.{ADAPTERS}")
    assert result["preloaded"] == [], "Airflow was imported before the check began"
    assert result["failures"] == {}, "\n".join(f"{m}: {why}" for m, why in sorted(result["failures"].items()))
    assert result["loaded"] == []
    checked = set(result["checked"])
    assert not any(m.startswith(f"optline.{ADAPTERS}") for m in checked)
    top = {"optline.cli", "optline.config", "optline.runs", "optline.warehouse", "optline.phones",
           "optline.masking", "optline.samples"}
    assert top <= checked, f"not checked: {sorted(top - checked)}"
    for package in ("intake", "contacts", "consent", "messaging", "quality", "reports"):
        assert any(m.startswith(f"optline.{package}.") for m in checked), f"no module of optline.{package} checked"
    on_disk = {".".join(("optline", *p.relative_to(LIBRARY).with_suffix("").parts)).removesuffix(".__init__")
               for p in LIBRARY.rglob("*.py") if p.relative_to(LIBRARY).parts[0] != ADAPTERS}
    assert on_disk <= checked, f"on disk but not walked: {sorted(on_disk - checked)}"


def test_no_library_source_imports_airflow_or_the_adapters():
    found = airflow_imports(LIBRARY)
    assert found == [], "\n".join(found)


# --- the checks themselves -------------------------------------------------------------------

def write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def test_the_import_check_names_a_module_that_needs_airflow(tmp_path):
    write_tree(tmp_path, {
        "fakeline/__init__.py": "",
        "fakeline/plain.py": "import json\n",
        "fakeline/eager.py": "import json\nfrom airflow.sdk import dag\n",
        "fakeline/sub/__init__.py": "",
        "fakeline/sub/indirect.py": "from fakeline.tasks import adapter\n",
        "fakeline/tasks/__init__.py": "",
        "fakeline/tasks/adapter.py": "import airflow\n",
    })
    result = import_without_airflow("fakeline", "fakeline.tasks", pythonpath=tmp_path)
    failures = result["failures"]
    assert set(failures) == {"fakeline.eager", "fakeline.sub.indirect"}
    assert failures["fakeline.eager"] == ("ImportError: Airflow is unimportable here (import of 'airflow') "
                                          "(via fakeline/eager.py:2: `from airflow.sdk import dag`)")
    assert failures["fakeline.sub.indirect"].endswith(
        "(via fakeline/sub/indirect.py:1 -> fakeline/tasks/adapter.py:1: `import airflow`)")
    assert {"fakeline", "fakeline.plain", "fakeline.sub"} <= set(result["checked"])
    assert not any(m.startswith("fakeline.tasks") for m in result["checked"])


def test_the_source_check_names_each_airflow_or_adapter_import(tmp_path):
    root = tmp_path / "optline"
    write_tree(root, {
        "__init__.py": "",
        "clean.py": '"""Mentions from airflow import dag in a docstring only."""\nimport json\n',
        "top.py": "import os, airflow.models\n",
        "indented.py": "def f():\n    from airflow.sdk import dag\n    return dag\n",
        "dynamic.py": "import importlib\nSDK = importlib.import_module('airflow.sdk')\n",
        "cli.py": "from optline.tasks.common import open_warehouse\n",
        "whole.py": "from optline import tasks\n",
        "sub/__init__.py": "",
        "sub/relative.py": "x = 1\nfrom ..tasks import hitl\n",
        "sub/sibling.py": "from . import relative\n",
        "tasks/__init__.py": "",
        "tasks/adapter.py": "from airflow.sdk import dag\n",
    })
    assert airflow_imports(root) == [
        "optline/cli.py:1: imports the adapter package (optline.tasks.common)",
        "optline/dynamic.py:2: imports airflow.sdk",
        "optline/indented.py:2: imports airflow.sdk",
        "optline/sub/relative.py:2: imports the adapter package (optline.tasks)",
        "optline/top.py:1: imports airflow.models",
        "optline/whole.py:1: imports the adapter package (optline.tasks)",
    ]
