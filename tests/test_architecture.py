"""The package's import graph, read with ``ast`` (nothing is imported): no import circle,
and no stage module used as a library.

An edge A -> B means running A (at import or when one of its functions runs) may import B.
Imports under ``if TYPE_CHECKING:`` never run and are left out. Importing ``a.b.c`` first
runs the ``__init__`` of every package above it, so a module outside ``a.b`` that imports
``a.b.c`` also depends on ``a.b``; a module inside ``a.b`` does not (its package is already
being imported).
"""

from __future__ import annotations

import ast
import configparser
from pathlib import Path


REPO = Path(__file__).resolve().parents[1]
PACKAGE = "asrkit"
# asrkit.results is not one: stage 6 (asrkit.score) calls it to write RESULTS.md
STAGES = {"asrkit.prepare", "asrkit.dump", "asrkit.pretrain", "asrkit.finetune", "asrkit.decode",
          "asrkit.score", "asrkit.lm", "asrkit.classify",
          "asrkit.export", "asrkit.explain", "asrkit.bljust"}


def modules(root: Path = REPO / PACKAGE) -> dict[str, Path]:
    """``{dotted name: file}`` of every module and package under ``root``."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST):
    """Every Import/ImportFrom node that can run, at any depth."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _type_checking(node.test):
            for child in node.orelse:
                yield from _imports(ast.Module(body=[child], type_ignores=[]))
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        yield from _imports(node)


def imported(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The asrkit modules that module ``name`` (file ``path``) imports, packages above them included."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    targets = set()
    for node in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:
            anchor = package.split(".")
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join(anchor + ([base] if base else []))
        targets.add(base)
        targets.update(f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in known)
    edges = set()
    for target in targets:
        if target.split(".")[0] != PACKAGE:
            continue
        parts = target.split(".")
        for i in range(1, len(parts) + 1):
            above = ".".join(parts[:i])
            inside = name == above or name.startswith(above + ".")
            if above in known and not inside:
                edges.add(above)
    edges.discard(name)
    return edges


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imported(name, path, known) for name, path in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def shortest_cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One shortest circle through the component's first module, as a path back to it."""
    start, members = component[0], set(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v] & members):
            if w == start:
                return paths[v] + [start]
            if w not in paths:
                paths[w] = paths[v] + [w]
                queue.append(w)
    raise AssertionError(f"{component} is not a cycle")


def console_scripts() -> dict[str, str]:
    """``{script: "module:function"}`` of setup.cfg."""
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg", encoding="utf-8")
    lines = cfg["options.entry_points"]["console_scripts"].strip().splitlines()
    return {name.strip(): target.strip() for name, _, target in (line.partition("=") for line in lines)}


def stage_modules() -> set[str]:
    """The stages named above, and every ``asrkit.<name>`` console script of setup.cfg."""
    stages = set(STAGES)
    for target in console_scripts().values():
        module = target.partition(":")[0]
        if module.count(".") == 1 and module.startswith(PACKAGE + "."):
            stages.add(module)
    return stages


def test_graph_reads_imports_as_python_runs_them(tmp_path):
    pkg = tmp_path / PACKAGE
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from asrkit.sub import leaf\n")
    (pkg / "sub" / "leaf.py").write_text("from . import other\n")
    (pkg / "sub" / "other.py").write_text("")
    (pkg / "typed.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import asrkit.user\n")
    (pkg / "user.py").write_text("def f():\n    import asrkit.sub.other\n    from asrkit import typed\n")
    known = modules(pkg)
    graph = {name: imported(name, path, known) for name, path in known.items()}
    assert graph["asrkit.sub"] == {"asrkit.sub.leaf"}
    assert graph["asrkit.sub.leaf"] == {"asrkit.sub.other"}
    assert graph["asrkit.typed"] == set()
    assert graph["asrkit.user"] == {"asrkit.sub", "asrkit.sub.other", "asrkit.typed"}
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert shortest_cycle({"a": {"b", "c"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c"]) == ["a", "c", "a"]


def test_stage_modules_include_console_scripts():
    stages = stage_modules()
    assert STAGES <= stages
    assert "asrkit.launch.cli" not in stages  # a script inside a package is not a stage


def test_every_stage_script_is_python_m_of_its_stage_module():
    known = modules()
    for script, target in console_scripts().items():
        module, _, function = target.partition(":")
        if module not in stage_modules():
            continue
        assert script == "asrkit-" + module.partition(".")[2] and function == "main", (script, target)
        assert 'if __name__ == "__main__":' in known[module].read_text(encoding="utf-8"), module


def test_no_import_cycle():
    graph = import_graph()
    found = [" -> ".join(shortest_cycle(graph, c)) + f"   (component: {', '.join(c)})"
             for c in cycles(graph)]
    assert not found, "import circles in asrkit/:\n" + "\n".join(found)


def test_no_stage_module_is_imported():
    graph = import_graph()
    stages = stage_modules()
    edges = sorted(f"{a} -> {b}" for a, targets in graph.items() for b in targets & stages)
    assert not edges, ("stage modules imported by other modules (move what they share into the "
                       "library):\n" + "\n".join(edges))


def test_only_the_progress_module_uses_tqdm():
    # A raw tqdm bar written to a job log is one line of carriage returns: the tail of a killed
    # job's log then says nothing. asrkit.progress writes plain lines there instead.
    users = []
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [
                    a.name for a in node.names]
                if any(n.split(".")[0] == "tqdm" for n in names):
                    users.append(name)
    assert set(users) == {"asrkit.progress"}, users
