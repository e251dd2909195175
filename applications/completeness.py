"""Checks that must pass before a case can be submitted (or a correction supplied).

Each checker takes a case and returns a list of problems in Chinese, one per missing
or wrong item, so the applicant sees the whole list at once.
"""

CHECKERS: list = []


def register(checker):
    """Decorator for a completeness checker (form answers, materials…)."""
    CHECKERS.append(checker)
    return checker
