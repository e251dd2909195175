"""Private file storage: applicants' materials and issued documents, never under MEDIA_URL."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """A file-system storage rooted at ``PRIVATE_MEDIA_ROOT`` with no public URL.

    The root is read from the settings on every use (not frozen when the model field is
    defined), so tests and deployments that change ``PRIVATE_MEDIA_ROOT`` are honoured.
    Files are served only by views that check permissions.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("base_url", None)
        super().__init__(**kwargs)

    @property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("private files have no public URL; serve them through a permission-checked view")
