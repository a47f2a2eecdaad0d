"""Issue 13: no constant of field kinds or confidence levels is declared twice.

The kinds' facts live on their normalizers (``fingerprints/normalizers/``, whose
``__init__`` is the registry every other module reads) and the levels in
``matchers/confidence.py`` (``Confidence``). This test walks the syntax tree of
every module of the shipped packages and fails on a literal collection that lists
them again anywhere else.

What it counts, precisely:

* nodes: ``list``, ``tuple`` and ``set`` displays (their elements) and ``dict``
  displays (their keys and their values), wherever they stand (module constants,
  defaults, ``click.Choice([...])``, a ``for`` over a tuple, ``frozenset({...})``);
* a node is a declaration of levels when at least two of its elements are
  *distinct* string constants among the level names (``Confidence.names()``), and
  of kinds when at least two are distinct built-in kind names (``BUILTIN_KINDS``);
* one name alone is a reference, not a list (``kind == "name"``, a default
  ``"medium"``, ``"phone" not in kinds``), and comprehensions, ``dict(a=...)``
  calls and f-strings are not displays, so they are not counted.

Exempt: the registry modules themselves, and the entries of ``ALLOWED`` (each
with its reason).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from fingerprints.normalizers import BUILTIN_KINDS
from matchers.confidence import Confidence

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("fingerprints", "matchers", "alerts", "crawler", "leakprint")
LEVEL_NAMES = frozenset(Confidence.names())
KIND_NAMES = frozenset(BUILTIN_KINDS)

#: The registry modules: where the facts are declared, once.
REGISTRY = ("fingerprints/normalizers/", "matchers/confidence.py")

#: (module, enclosing function or "" for module level): why it may list kinds.
ALLOWED = {
    # One synthetic canary record's values, keyed by kind: a record, not a list
    # of kinds (which kinds are written comes from the fingerprint set).
    ("leakprint/contractors/canaries.py", "_values"): "a synthetic record",
}


def _strings(node: ast.AST) -> list[str]:
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        elements: list[ast.expr | None] = list(node.elts)
    elif isinstance(node, ast.Dict):
        elements = [*node.keys, *node.values]
    else:
        return []
    return [
        e.value for e in elements if isinstance(e, ast.Constant) and isinstance(e.value, str)
    ]


def declarations(source: str) -> list[tuple[int, str, str, list[str]]]:
    """``(line, enclosing function, "levels"|"kinds", names)`` of every literal
    collection in ``source`` that lists two or more level or kind names."""
    found: list[tuple[int, str, str, list[str]]] = []

    def visit(node: ast.AST, function: str) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        strings = set(_strings(node))
        for what, names in (("levels", LEVEL_NAMES), ("kinds", KIND_NAMES)):
            hit = sorted(strings & names)
            if len(hit) >= 2:
                found.append((getattr(node, "lineno", 0), function, what, hit))
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(ast.parse(source), "")
    return found


def _modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def test_no_level_or_kind_list_outside_the_registry() -> None:
    offences = []
    for path in _modules():
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(REGISTRY):
            continue
        for line, function, what, names in declarations(path.read_text(encoding="utf-8")):
            if (rel, function) not in ALLOWED:
                offences.append(f"{rel}:{line} lists {what} {names}")
    assert not offences, "declared outside the registry:\n" + "\n".join(offences)


def test_every_allowed_entry_is_still_needed() -> None:
    """An exemption whose collection is gone must go too."""
    used = set()
    for path in _modules():
        rel = path.relative_to(ROOT).as_posix()
        for _line, function, _what, _names in declarations(path.read_text(encoding="utf-8")):
            used.add((rel, function))
    assert set(ALLOWED) <= used


@pytest.mark.parametrize(
    ("source", "count"),
    [
        ('X = ("low", "medium", "high")', 1),
        ('X = {"high": "bold", "low": "dim"}', 1),
        ('X = {"a": "phone", "b": "email"}', 1),  # values count too
        ('click.Choice(["low", "high"])', 1),
        ('for k in ("name", "name_kana"):\n    pass', 1),
        ('S = frozenset({"phone", "email"})', 1),
        ('X = ("phone", "low")', 0),  # one of each: references
        ('if kind == "name" or level == "low":\n    pass', 0),
        ('X = ("phone", "phone")', 0),  # distinct names only
        ('X = dict(phone=1, email=2)', 0),  # a call, not a display
        ("X = {k: 1 for k in KINDS}", 0),
    ],
)
def test_what_counts(source: str, count: int) -> None:
    assert len(declarations(source)) == count
