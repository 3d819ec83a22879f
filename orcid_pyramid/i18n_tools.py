"""Keeping the catalogs current (needs Babel, in the ``i18n`` and ``test`` extras).

``python -m orcid_pyramid.i18n_tools extract|update|compile`` writes
``locale/orcid_pyramid.pot`` from the sources, merges it into every ``locale/*/LC_MESSAGES/
orcid_pyramid.po``, and compiles each ``.po`` to the ``.mo`` Pyramid reads at run time. The
tests call the same functions to check that the shipped files are current.

Which texts are messages (one place, used by the command and the tests):

- templates: ``orcid_t("…")`` and ``orcid_nt("…", "…", n)`` (Jinja2's Babel extractor);
- Python: ``_("…")`` calls, and the English texts the add-on shows without marking them where
  they are written, because they are translated where they meet the page (``orcid.i18n``):
  ``render_error``/``error_page`` titles, messages and link labels, flash messages, the
  strings a ``user_text()`` method returns and ``default_user_text`` class attributes (the
  ORCID client's errors must stay free of any translation machinery). Babel has no extractor
  for these shapes, so :func:`extract_python` is the project's own (an ``ast`` walk).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
LOCALE_DIR = PACKAGE_DIR / "locale"
DOMAIN = "orcid_pyramid"
POT_FILE = LOCALE_DIR / f"{DOMAIN}.pot"
KEYWORDS = {"_": None, "orcid_t": None, "orcid_nt": (1, 2)}
#: paths relative to the package; the first pattern that matches a file decides
METHOD_MAP = [
    ("emulator/**", "ignore"),
    ("compliance/**", "ignore"),
    ("migrations/**", "ignore"),
    ("i18n_tools.py", "ignore"),
    ("**.py", "orcid_pyramid.i18n_tools:extract_python"),
    ("templates/**.jinja2", "jinja2.ext:babel_extract"),
    ("demo/templates/**.jinja2", "jinja2.ext:babel_extract"),
]
#: calls whose positional arguments at these indexes, and keywords of these names, are texts
_TEXT_CALLS = {
    "render_error": ((2, 3), ("retry_label",)),
    "error_page": ((2, 3, 5), ("back_label",)),
    "flash": ((0,), ()),
    "_": ((0,), ()),
}


def extract_python(fileobj, keywords, comment_tags, options):
    """Babel extraction method for the add-on's Python files (see the module docstring)."""
    tree = ast.parse(fileobj.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            positions, names = _TEXT_CALLS.get(name, ((), ()))
            args = [node.args[i] for i in positions if i < len(node.args)]
            args += [k.value for k in node.keywords if k.arg in names]
            for arg in args:
                yield from _texts(arg)
        elif isinstance(node, ast.FunctionDef) and node.name == "user_text":
            for sub in ast.walk(node):
                if isinstance(sub, ast.Return) and sub.value is not None:
                    yield from _texts(sub.value)
        elif isinstance(node, ast.Assign) and any(
                getattr(t, "id", None) == "default_user_text" for t in node.targets):
            yield from _texts(node.value)


def _texts(node):
    """(lineno, None, text, []) for each literal text an expression can evaluate to."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip():
        yield node.lineno, None, node.value, []
    elif isinstance(node, ast.IfExp):
        yield from _texts(node.body)
        yield from _texts(node.orelse)
    elif isinstance(node, ast.Dict):
        for value in node.values:
            yield from _texts(value)
    elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "get":
        yield from _texts(node.func.value)  # {...}.get(key, default)
        for arg in node.args[1:]:
            yield from _texts(arg)


def extract_catalog():
    """A Babel ``Catalog`` of every message in the package's sources."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    catalog = Catalog(project="orcid-pyramid", domain=DOMAIN, charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
            str(PACKAGE_DIR), METHOD_MAP, {}, KEYWORDS, strip_comment_tags=True):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments,
                    context=context)
    return catalog


def po_files() -> list[Path]:
    """Every translation's ``.po`` file."""
    return sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def write_pot() -> None:
    """``extract``: the template every translation starts from."""
    from babel.messages.pofile import write_po

    with POT_FILE.open("wb") as out:
        write_po(out, extract_catalog(), width=100, omit_header=False, sort_output=True)


def update_po() -> None:
    """``update``: merge the current messages into each ``.po`` (new ones untranslated)."""
    from babel.messages.pofile import read_po, write_po

    template = extract_catalog()
    for path in po_files():
        with path.open("rb") as source:
            catalog = read_po(source, locale=path.parent.parent.name, domain=DOMAIN)
        catalog.update(template, no_fuzzy_matching=True)
        with path.open("wb") as out:
            write_po(out, catalog, width=100, sort_output=True, ignore_obsolete=True)


def compile_mo() -> None:
    """``compile``: the ``.mo`` files read at run time."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for path in po_files():
        with path.open("rb") as source:
            catalog = read_po(source, locale=path.parent.parent.name, domain=DOMAIN)
        with path.with_suffix(".mo").open("wb") as out:
            write_mo(out, catalog)


def main(argv: list[str] | None = None) -> int:
    """``python -m orcid_pyramid.i18n_tools extract|update|compile``."""
    commands = {"extract": write_pot, "update": update_po, "compile": compile_mo}
    args = sys.argv[1:] if argv is None else argv
    if not args or any(a not in commands for a in args):
        print("usage: python -m orcid_pyramid.i18n_tools extract|update|compile ...",
              file=sys.stderr)
        return 2
    for arg in args:
        commands[arg]()
    return 0


if __name__ == "__main__":
    sys.exit(main())
