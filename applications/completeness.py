"""Checks that must pass before a case can be submitted (or a correction supplied).

Each checker takes a case and returns a list of problems in Chinese, one per missing
or wrong item, so the applicant sees the whole list at once. Checkers are plug-ins so
that the services do not depend on the modules that hold the rules: the form engine
(``applications.forms_engine``) and the materials checks (``applications.materials``)
register theirs with ``@completeness.register`` when they are imported, and
``problems()`` imports the modules of ``COMPLETENESS_MODULES`` first.
"""

import importlib

from django.conf import settings

CHECKERS: list = []

DEFAULT_MODULES = ("applications.forms_engine", "applications.materials")


def register(checker):
    """Decorator for a completeness checker (form answers, materials…); registering twice is harmless."""
    name = f"{checker.__module__}.{checker.__qualname__}"
    CHECKERS[:] = [c for c in CHECKERS if f"{c.__module__}.{c.__qualname__}" != name]
    CHECKERS.append(checker)
    return checker


def load_checkers() -> None:
    """Import the modules that register checkers (a module not written yet is skipped)."""
    for module in getattr(settings, "COMPLETENESS_MODULES", DEFAULT_MODULES):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:  # the module exists but one of its imports is missing
                raise


def problems(case) -> list[str]:
    """Everything that stops the case from being submitted; empty when it is complete."""
    load_checkers()
    found: list[str] = []
    for checker in list(CHECKERS):
        found.extend(checker(case))
    return found
