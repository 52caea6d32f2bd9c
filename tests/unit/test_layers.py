"""The packages of outbound/ import one way: each only those of the layers before its own, as
outbound/__init__.py lists them. Read from the source, so an import inside a function counts."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import outbound

LAYERS = [
    {"errors"},
    {"storage"},
    {"config", "output"},
    {"rules", "store"},
    {"workspace"},
    {"extract"},
    {"contact", "staff", "privacy"},
    {"messages"},
    {"orders"},
    {"plan"},
    {"results"},
    {"schedule"},
    {"sample"},
    {"web"},
    {"cli"},
]
RANK = {name: rank for rank, layer in enumerate(LAYERS) for name in layer}


def _imported(path: Path, root: Path) -> set[str]:
    """The modules of ROOT's package that PATH imports, absolutely or relatively, as dotted names
    (`from outbound import output` names outbound.output)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = [root.name, *path.parent.relative_to(root).parts]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *filter(None, [node.module])])
            names = [module] + [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {name for name in names if name.startswith(root.name + ".")}
    return found


def upward_imports(root: Path) -> list[str]:
    """Every import in the package at ROOT that runs from a layer to its own or a later one."""
    problems = []
    for path in sorted(root.rglob("*.py")):
        part = path.relative_to(root).parts[0].removesuffix(".py")
        if part not in RANK:
            if part != "__init__":
                problems.append(f"{path}: {part} is in no layer of LAYERS")
            continue
        for name in sorted({n.split(".")[1] for n in _imported(path, root)} - {part}):
            if name in RANK and RANK[name] >= RANK[part]:
                problems.append(f"{path}: {part} imports {name}, which is not below it")
    return problems


def test_every_import_of_the_engine_runs_down_the_layers() -> None:
    root = Path(outbound.__file__).parent
    assert upward_imports(root) == []


# The pure core: frames and values in, frames and values out, nothing of the engine's store,
# network or clock; each may import its own modules and those named here.
PURE = {"rules": {"outbound.errors"}, "plan/assignment": set()}


@pytest.mark.parametrize("folder", sorted(PURE))
def test_the_pure_core_imports_nothing_of_the_engine_around_it(folder: str) -> None:
    root = Path(outbound.__file__).parent
    allowed = {"outbound." + folder.replace("/", "."), *PURE[folder]}
    for path in sorted((root / folder).rglob("*.py")):
        others = {
            name
            for name in _imported(path, root)
            if not any(name == a or name.startswith(a + ".") for a in allowed)
        }
        assert others == set(), path


def test_every_package_and_module_of_the_engine_has_a_layer() -> None:
    root = Path(outbound.__file__).parent
    parts = {p.name.removesuffix(".py") for p in root.iterdir() if not p.name.startswith("_")}
    assert parts - {"__pycache__"} == set(RANK)


@pytest.mark.parametrize(
    "statement",
    [
        "from outbound.plan import daily",
        "from outbound import plan",
        "import outbound.plan.daily",
        "from ..plan.daily import run",
    ],
)
def test_a_lower_package_importing_a_higher_one_is_caught(tmp_path: Path, statement: str) -> None:
    root = tmp_path / "outbound"
    for package in ("store", "plan"):
        (root / package).mkdir(parents=True)
        (root / package / "__init__.py").write_text('"""."""\n')
    (root / "plan" / "daily.py").write_text("from outbound.store import orders\n")
    (root / "store" / "orders.py").write_text(statement + "\n")
    assert upward_imports(root) == [
        f"{root / 'store' / 'orders.py'}: store imports plan, which is not below it"
    ]


def test_packages_of_one_layer_may_not_import_each_other(tmp_path: Path) -> None:
    root = tmp_path / "outbound"
    (root / "contact").mkdir(parents=True)
    (root / "contact" / "policy.py").write_text("from outbound.staff import agents\n")
    assert upward_imports(root) == [
        f"{root / 'contact' / 'policy.py'}: contact imports staff, which is not below it"
    ]
