"""Rows written once and never changed: the history of a case (办事过程信息), of a payment order,
of a parcel. The ORM refuses to change or delete them: ``save()`` only inserts, ``delete()`` and
the queryset's ``update()``/``delete()``/``bulk_update()`` raise the model's ``append_only_error``.

A model subclasses ``AppendOnlyModel``, names its own error (a subclass of ``AppendOnlyError``),
and sets ``base_manager_name = "objects"`` in its Meta, so that Django's internal updates go
through the guarded queryset too.
"""

from django.db import models


class AppendOnlyError(Exception):
    """An append-only row was about to be changed or deleted."""


class AppendOnlyQuerySet(models.QuerySet):
    def _refuse(self, what: str):
        meta = self.model._meta
        return self.model.append_only_error(f"{meta.verbose_name_plural} ({meta.label}) cannot be {what}")

    def update(self, **kwargs):
        raise self._refuse("updated")

    def delete(self):
        raise self._refuse("deleted")

    def bulk_update(self, objs, fields, batch_size=None):
        # Refused before Django opens its transaction, so the caller's transaction stays usable.
        raise self._refuse("updated")


class AppendOnlyModel(models.Model):
    append_only_error: type[AppendOnlyError] = AppendOnlyError

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise self.append_only_error(f"{self._meta.label} cannot be changed once written")
        # Never an UPDATE, even with an explicit primary key: a clash fails instead of overwriting.
        kwargs["force_insert"] = True
        kwargs.pop("force_update", None)
        kwargs.pop("update_fields", None)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise self.append_only_error(f"{self._meta.label} cannot be deleted")
