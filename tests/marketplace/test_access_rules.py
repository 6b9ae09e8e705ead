"""Every rule name the code asks for is registered, and every registered rule is asked.

The names are read from the source with `ast`: a literal passed to `can` or `require`, or to a
helper that passes one of its parameters on to them (`tender_for`, `supplier_for`, …, found
by following the calls, so a new helper is covered without being listed here).
"""

import ast
from pathlib import Path

import pytest

from marketplace import access

ROOT = Path(__file__).resolve().parents[2]
SKIPPED = {".venv", "var", "node_modules", "migrations", "static", "locale"}
ASKERS = {"can": 1, "require": 1}  # function name -> position of the rule name (0-based)


def python_files(*folders: str) -> list[Path]:
    found = []
    for folder in folders or [p.name for p in ROOT.iterdir() if p.is_dir()]:
        for path in (ROOT / folder).rglob("*.py"):
            if not SKIPPED & set(path.relative_to(ROOT).parts):
                found.append(path)
    return found


def called_name(call: ast.Call) -> str | None:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def rule_argument(call: ast.Call, askers: dict[str, int], parameters: dict[str, str]) -> ast.expr | None:
    name = called_name(call)
    if name not in askers:
        return None
    position = askers[name]
    if len(call.args) > position:
        return call.args[position]
    keyword = parameters.get(name)
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def rule_name_helpers(trees: list[ast.Module]) -> tuple[dict[str, int], dict[str, str]]:
    """The functions that take a rule name, with the position and name of that parameter."""
    askers, parameters = dict(ASKERS), {"can": "action", "require": "action"}
    changed = True
    while changed:
        changed = False
        for tree in trees:
            for fn in ast.walk(tree):
                if not isinstance(fn, ast.FunctionDef) or fn.name in askers:
                    continue
                names = [a.arg for a in fn.args.args]
                for call in (n for n in ast.walk(fn) if isinstance(n, ast.Call)):
                    argument = rule_argument(call, askers, parameters)
                    if isinstance(argument, ast.Name) and argument.id in names:
                        askers[fn.name], parameters[fn.name] = names.index(argument.id), argument.id
                        changed = True
                        break
    return askers, parameters


def asked_names(paths: list[Path], helpers_from: list[Path]) -> dict[str, list[str]]:
    """Every literal rule name passed to an asker, with where it is asked."""
    helper_trees = [ast.parse(p.read_text(), str(p)) for p in helpers_from]
    askers, parameters = rule_name_helpers(helper_trees)
    asked: dict[str, list[str]] = {}
    for path in paths:
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            values: list[ast.expr] = []
            if isinstance(node, ast.Call) and (argument := rule_argument(node, askers, parameters)) is not None:
                values.append(argument)
            if isinstance(node, ast.FunctionDef) and node.name in askers and node.name not in ASKERS:
                # The parameter's default is asked too (`supplier_for(..., action="view_supplier")`).
                arguments = node.args.args
                defaults = dict(
                    zip([a.arg for a in arguments[len(arguments) - len(node.args.defaults) :]], node.args.defaults, strict=True)
                )
                if parameters[node.name] in defaults:
                    values.append(defaults[parameters[node.name]])
            for value in values:
                for constant in ast.walk(value):
                    if isinstance(constant, ast.Constant) and isinstance(constant.value, str):
                        asked.setdefault(constant.value, []).append(f"{path.relative_to(ROOT)}:{constant.lineno}")
    return asked


@pytest.fixture(scope="module")
def product_code() -> list[Path]:
    return [p for p in python_files() if p.relative_to(ROOT).parts[0] not in {"tests", "bench"}]


def test_every_rule_name_asked_anywhere_is_registered(product_code):
    asked = asked_names([p for p in python_files() if p != Path(__file__).resolve()], helpers_from=product_code)
    unknown = {name: places for name, places in asked.items() if name not in access.RULES}
    assert not unknown, f"rule names asked but never registered: {unknown}"


def test_the_scan_finds_the_helpers_that_take_a_rule_name(product_code):
    askers, _ = rule_name_helpers([ast.parse(p.read_text()) for p in product_code])
    assert {"tender_for", "supplier_for"} <= set(askers)
    asked = asked_names(product_code, helpers_from=product_code)
    assert "manage_tender" in asked  # through tender_for
    assert "view_supplier" in asked  # supplier_for's default


def test_every_registered_rule_is_asked_by_the_code(product_code):
    asked = asked_names(product_code, helpers_from=product_code)
    assert sorted(set(access.RULES) - set(asked)) == []


def test_asking_an_unknown_rule_is_an_error_not_a_refusal(supplier_a):
    with pytest.raises(LookupError, match="view_tendre"):
        access.can(supplier_a, "view_tendre", None)
