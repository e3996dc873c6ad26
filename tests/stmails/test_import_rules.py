"""The import rule (docs/development/layers.md), checked on the source with ast.

Layers, lowest first: stmails.lib (no Django app) <- stmails (the core: config,
outbox, event hooks) <- subscribers <- campaigns <- bounces <- webhooks <-
monitoring (the dashboard, metrics, alerts, health, deliverability, self-test:
the one app that may read every other) <- listmonk_import (writes subscribers,
campaigns and bounces from a listmonk database). A module imports its own layer or lower
ones; inside an app the imports form no cycle.
Every import counts, at module level, in a function or under TYPE_CHECKING, so
moving an import into a function does not hide a cycle.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = [
    "stmails.lib",
    "stmails",
    "subscribers",
    "campaigns",
    "bounces",
    "webhooks",
    "monitoring",
    "listmonk_import",
]
# The wiring on top of every app: the root URLconf includes each app's views.
WIRING = {"stmails.urls"}


def _modules() -> dict[str, Path]:
    found = {}
    for app in LAYERS[1:]:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
                found[name.removesuffix(".__init__")] = path
    return found


def _graph() -> dict[str, set[str]]:
    modules, graph = _modules(), {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        graph[name] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: climb from this module's package
                    parts = package.split(".")[
                        : len(package.split(".")) - node.level + 1
                    ]
                    base = ".".join([*parts, base] if base else parts)
                targets = [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for (
                target
            ) in targets:  # `from a import b` names module a.b or a member of a
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def _layer(module: str) -> int:
    return max(
        i for i, layer in enumerate(LAYERS) if f"{module}.".startswith(f"{layer}.")
    )


def test_imports_follow_the_app_order():
    upward = [
        f"{source} -> {target}"
        for source, targets in _graph().items()
        for target in targets
        if source not in WIRING and _layer(target) > _layer(source)
    ]
    assert upward == []


def test_no_import_cycle():
    graph, state, cycles = _graph(), {}, []

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                cycles.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in state:
                visit(target, [*path, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []
