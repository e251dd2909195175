"""Keep the search index and the cached catalogue pages in step with the catalogue.

A matter is reindexed when it, its materials or its tags/themes change, and the matters of a
tag, theme or department when that one is renamed or deleted. Synonyms are expanded when
searching, so editing them only clears their cache.

Not covered, by design: fixture loading (``raw``), ``bulk_create`` and ``QuerySet.update()``
send no usable signal, so whoever uses them calls ``search.reindex_queryset`` afterwards. Code
that saves many rows one by one can wrap itself in ``search.deferred_reindex()`` to reindex
each matter once at the end instead of on every save.

Cached pages (``matters.cache``): any save or delete of a row the public pages show, and any
change of a matter's tags, themes or co-departments, bumps the catalogue version, raw fixture
loading included. ``bulk_create`` and ``QuerySet.update()`` send no signal: their callers call
``matters.cache.bump_catalogue_version()``.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from matters import search
from matters.cache import bump_catalogue_version
from matters.forms_spec import FormSpec
from matters.models import (
    Department,
    MaterialRequirement,
    Matter,
    MatterRelation,
    MatterStep,
    Region,
    Synonym,
    Tag,
    Theme,
)

# --- cached pages ----------------------------------------------------------------------------

# Every model whose rows the guide, catalogue or search pages show (or rank by).
CATALOGUE_MODELS = (
    Matter,
    MaterialRequirement,
    MatterStep,
    MatterRelation,
    Department,
    Region,
    Theme,
    Tag,
    Synonym,
    FormSpec,
)


def catalogue_changed(sender, using=None, **kwargs):
    bump_catalogue_version(using)


for _model in CATALOGUE_MODELS:
    _label = _model._meta.label_lower
    post_save.connect(catalogue_changed, sender=_model, dispatch_uid=f"matters.cache.saved.{_label}")
    post_delete.connect(catalogue_changed, sender=_model, dispatch_uid=f"matters.cache.deleted.{_label}")


def catalogue_links_changed(sender, action, using=None, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        bump_catalogue_version(using)


for _through in (Matter.tags.through, Matter.themes.through, Matter.co_departments.through):
    m2m_changed.connect(
        catalogue_links_changed,
        sender=_through,
        dispatch_uid=f"matters.cache.links.{_through._meta.label_lower}",
    )


# --- search index ----------------------------------------------------------------------------


@receiver(post_save, sender=Matter, dispatch_uid="matters.search.matter_saved")
def matter_saved(sender, instance, raw=False, update_fields=None, using="default", **kwargs):
    if raw:
        return
    if update_fields is not None and not search.INDEXED_FIELDS.intersection(update_fields):
        return  # e.g. a popularity or status update
    search.request_reindex([instance.pk], using=using)


@receiver(post_save, sender=MaterialRequirement, dispatch_uid="matters.search.material_saved")
@receiver(post_delete, sender=MaterialRequirement, dispatch_uid="matters.search.material_deleted")
def material_changed(sender, instance, raw=False, origin=None, using="default", **kwargs):
    if raw:
        return
    # Materials deleted along with their matter need no reindex.
    if isinstance(origin, Matter) or getattr(origin, "model", None) is Matter:
        return
    search.request_reindex([instance.matter_id], using=using)


def _m2m_changed(sender, instance, action, reverse, pk_set, using, **kwargs):
    """matter.tags.add(tag) and tag.matters.add(matter) alike."""
    if not reverse:
        if action in ("post_add", "post_remove", "post_clear"):
            search.request_reindex([instance.pk], using=using)
        return
    # Reverse side: instance is the tag or theme, pk_set holds matter ids (None on clear).
    if action == "pre_clear":
        instance._search_cleared = list(instance.matters.values_list("pk", flat=True))
    elif action in ("post_add", "post_remove"):
        search.request_reindex(pk_set or [], using=using)
    elif action == "post_clear":
        search.request_reindex(getattr(instance, "_search_cleared", []), using=using)


m2m_changed.connect(_m2m_changed, sender=Matter.tags.through, dispatch_uid="matters.search.tags")
m2m_changed.connect(_m2m_changed, sender=Matter.themes.through, dispatch_uid="matters.search.themes")


@receiver(post_save, sender=Tag, dispatch_uid="matters.search.tag_saved")
@receiver(post_save, sender=Theme, dispatch_uid="matters.search.theme_saved")
def label_saved(sender, instance, created=False, raw=False, using="default", **kwargs):
    if raw or created:
        return  # a new tag or theme has no matters yet
    search.request_reindex(instance.matters.values_list("pk", flat=True), using=using)


@receiver(pre_delete, sender=Tag, dispatch_uid="matters.search.tag_deleting")
@receiver(pre_delete, sender=Theme, dispatch_uid="matters.search.theme_deleting")
def label_deleting(sender, instance, **kwargs):
    # The link rows go without an m2m signal, so remember whom to reindex.
    instance._search_matters = list(instance.matters.values_list("pk", flat=True))


@receiver(post_delete, sender=Tag, dispatch_uid="matters.search.tag_deleted")
@receiver(post_delete, sender=Theme, dispatch_uid="matters.search.theme_deleted")
def label_deleted(sender, instance, using="default", **kwargs):
    search.request_reindex(getattr(instance, "_search_matters", []), using=using)


@receiver(pre_save, sender=Department, dispatch_uid="matters.search.department_saving")
def department_saving(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    previous = Department.objects.filter(pk=instance.pk).values_list("name", flat=True).first()
    instance._search_renamed = previous is not None and previous != instance.name


@receiver(post_save, sender=Department, dispatch_uid="matters.search.department_saved")
def department_saved(sender, instance, raw=False, using="default", **kwargs):
    if not raw and getattr(instance, "_search_renamed", False):
        instance._search_renamed = False
        search.request_reindex(instance.matters.values_list("pk", flat=True), using=using)


@receiver(post_save, sender=Synonym, dispatch_uid="matters.search.synonym_saved")
@receiver(post_delete, sender=Synonym, dispatch_uid="matters.search.synonym_deleted")
def synonym_changed(sender, **kwargs):
    search.clear_synonym_cache()
