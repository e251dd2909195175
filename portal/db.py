"""Small database idioms shared by the apps."""

from django.db import IntegrityError, models, transaction


def create_once(model: type[models.Model], *, lookup: dict, defaults: dict) -> tuple[models.Model, bool]:
    """``get_or_create`` for rows that are almost always new (an idempotency key per event):
    insert first, and read the existing row only when the unique key is already taken.

    One statement in the usual case instead of a read before every write. ``lookup`` must be
    covered by a unique constraint; any other integrity error propagates.
    """
    try:
        with transaction.atomic():
            return model._default_manager.create(**lookup, **defaults), True
    except IntegrityError:
        existing = model._default_manager.filter(**lookup).first()
        if existing is None:
            raise
        return existing, False
