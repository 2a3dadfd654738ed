"""The import graph of ``src/augury``: no circles, no upward arrows, methods never import tasks.

Every ``import`` statement counts, also those inside functions (a lazy import is still a
dependency; laziness is for start-up time, not for hiding a circle). The layers, lowest first, are
the map a newcomer reads in ``docs/design.md``.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

#: Rank of each top-level part of the package; a module may import only parts of a lower rank
#: or its own part. The package facade ``augury/__init__.py`` sits above everything.
LAYERS: dict[str, int] = {
    "augury._version": 0,
    "augury.errors": 0,
    "augury.utils": 1,
    "augury.base": 2,
    "augury.data": 3,
    "augury.metrics": 3,
    "augury.nn": 3,
    "augury.calibration": 3,
    "augury.events": 4,
    "augury.stream": 4,
    "augury.detectors": 4,
    "augury.early_warning": 5,
    "augury.predictors": 6,
    "augury.watch": 7,
    "augury.bench": 7,
    "augury.report": 8,
    "augury.cli": 9,
    "augury": 10,
}
#: Modules of ``augury.detectors`` that are the task's own (everything else there is a method package).
DETECTOR_TASK_MODULES = {"base", "registry", "params", "model_format", "array_models"}


def _module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(src: Path = SRC) -> dict[str, Path]:
    return {_module_name(p, src): p for p in (src / "augury").rglob("*.py")}


def _import_graph(src: Path = SRC) -> dict[str, set[str]]:
    """Module → the augury modules it imports (``from pkg import submodule`` resolved to the submodule)."""
    modules = _modules(src)
    graph: dict[str, set[str]] = defaultdict(set)

    def resolve(target: str) -> str:
        while target not in modules and "." in target:
            target = target.rsplit(".", 1)[0]
        return target

    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in modules else module for a in node.names]
            else:
                continue
            for target in targets:
                if target == "augury" or target.startswith("augury."):
                    resolved = resolve(target)
                    if resolved != name:
                        graph[name].add(resolved)
    return graph


def _part(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else module


def test_every_top_level_part_has_a_layer() -> None:
    parts = {_part(m) for m in _modules()}
    assert parts <= set(LAYERS), f"give these a layer in LAYERS: {sorted(parts - set(LAYERS))}"


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    colour: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        colour[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if colour.get(nxt, 0) == 0:
                visit(nxt)
            elif colour[nxt] == 1:
                circles.append(stack[stack.index(nxt):] + [nxt])
        stack.pop()
        colour[node] = 2

    for module in sorted(graph):
        if colour.get(module, 0) == 0:
            visit(module)
    return circles


def _upward(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{a} -> {b}"
        for a, targets in graph.items()
        for b in targets
        if _part(a) != _part(b) and LAYERS[_part(b)] >= LAYERS[_part(a)]
    )


def test_no_import_circles() -> None:
    circles = _circles(_import_graph())
    assert not circles, "import circles: " + "; ".join(" -> ".join(c) for c in circles)


def test_no_upward_imports() -> None:
    upward = _upward(_import_graph())
    assert not upward, "imports that point up (or sideways) the layers: " + ", ".join(upward)


def _is_detector_method(module: str) -> bool:
    parts = module.split(".")
    return len(parts) >= 3 and parts[1] == "detectors" and parts[2] not in DETECTOR_TASK_MODULES


def test_method_packages_never_import_task_packages() -> None:
    bad = []
    for a, targets in _import_graph().items():
        for b in targets:
            if _is_detector_method(a) and _part(b) in ("augury.early_warning", "augury.predictors"):
                bad.append(f"{a} -> {b}")
            if _part(a) == "augury.early_warning" and (_is_detector_method(b) or _part(b) == "augury.predictors"):
                bad.append(f"{a} -> {b}")
    assert not bad, "a method package imports a task package or the reverse: " + ", ".join(sorted(bad))


def test_the_checker_sees_a_planted_circle_and_an_upward_arrow(tmp_path: Path) -> None:
    pkg = tmp_path / "augury" / "utils"
    pkg.mkdir(parents=True)
    (tmp_path / "augury" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from augury.utils import b\n")
    (pkg / "b.py").write_text("from .a import f\nfrom augury.cli import x\n")
    (tmp_path / "augury" / "cli.py").write_text("x = 1\n")
    graph = _import_graph(tmp_path)
    assert _circles(graph) == [["augury.utils.a", "augury.utils.b", "augury.utils.a"]]
    assert _upward(graph) == ["augury.utils.b -> augury.cli"]
