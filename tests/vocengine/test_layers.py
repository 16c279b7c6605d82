"""The shape of the house, enforced: data flows one way through the library's layers, only the command line
reaches the API and the training code, and no command module imports another."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]

# Lowest first. A module may import modules of its own layer or a lower one, never a higher one.
LAYERS: list[tuple[str, ...]] = [
    ("vocengine", "vocengine.errors", "vocengine.settings", "vocengine.schemas", "vocengine.validation"),
    ("vocengine.text",),
    ("vocengine.model",),
    ("vocengine.journey",),
    ("vocengine.analyzer", "vocengine.io", "vocengine.bench", "vocengine.bench_redact"),
    ("vocengine.store", "vocengine.ingest"),
    (
        "vocengine.insights",
        "vocengine.report",
        "vocengine.learning",
        "vocengine.active",
        "vocengine.connectors",
        "vocengine.alerts",
    ),
    ("vocengine.runtime",),
    ("vocengine.usecases", "vocengine.jobs", "vocengine.worker"),
    ("vocengine.cli", "vocengine.bench_service", "vocengine.bench_alerts", "vocengine.__main__"),
]
# Only the command line, the top layer, may start the API or the training code.
OUTSIDE = ("api", "training")
MAY_REACH_OUTSIDE = ("vocengine.cli",)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in the file, those inside functions and TYPE_CHECKING blocks too."""
    found = []
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from vocengine import x` may name a module: count it as `vocengine.x`.
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def layer(module: str) -> int | None:
    best: tuple[int, int] | None = None  # (prefix length, layer)
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), index)
    return None if best is None else best[1]


def library_files() -> list[Path]:
    return sorted((PROJECT / "vocengine").rglob("*.py"))


def test_every_library_module_has_a_layer():
    assert [module_name(p) for p in library_files() if layer(module_name(p)) is None] == []


def violations() -> list[str]:
    found = []
    for path in library_files():
        importer = module_name(path)
        own = layer(importer)
        assert own is not None
        for line, target in imports(path):
            where = f"{path.relative_to(PROJECT)}:{line} imports {target}"
            if target.split(".")[0] in OUTSIDE:
                if not importer.startswith(MAY_REACH_OUTSIDE):
                    found.append(where + " (only the command line may reach api/ or training/)")
                continue
            if not target.startswith("vocengine"):
                continue
            theirs = layer(target)
            if theirs is not None and theirs > own:
                found.append(f"{where} (layer {own} -> higher layer {theirs})")
    return found


def test_lower_layers_never_import_higher_ones():
    assert violations() == []


def test_the_check_sees_a_violation(tmp_path, monkeypatch):
    """The rule is not vacuous: a store module that imported the runtime would be reported."""
    monkeypatch.setattr(
        "tests.vocengine.test_layers.imports",
        lambda path: [(1, "vocengine.runtime")] if path.name == "queue.py" else [],
    )
    assert violations() == ["vocengine/store/queue.py:1 imports vocengine.runtime (layer 5 -> higher layer 7)"]


@pytest.mark.parametrize("path", sorted((PROJECT / "vocengine" / "cli").glob("*.py")), ids=lambda p: p.name)
def test_no_command_module_imports_another(path):
    if path.name == "__init__.py":
        return
    others = [
        target
        for _, target in imports(path)
        if target.startswith("vocengine.cli") and not target.startswith(("vocengine.cli._util", "vocengine.cli.main"))
        and target != "vocengine.cli"
    ]  # fmt: skip
    assert others == [], f"{path.name} imports {others}: share it through vocengine/cli/_util.py"


def test_the_api_never_imports_the_command_line():
    for path in sorted((PROJECT / "api").rglob("*.py")):
        assert not [t for _, t in imports(path) if t.startswith("vocengine.cli")], path
