"""Applicant-facing pages. Each concern's views live in applications/views/<concern>.py."""

from django.urls import path

from applications.views import documents as document_views
from applications.views import issued as issued_views
from applications.views import verify as verify_views

app_name = "applications"

urlpatterns: list = [
    # Helpers append their routes below this line, one block per views module.
    # Issued documents (i4): the public verification page of a QR code, the permission-checked download.
    path("verify/<str:token>/", verify_views.verify, name="verify"),
    path("issued/<int:pk>/download/", issued_views.download, name="issued_download"),
    # Documents and materials (i3): 我的资料库, permission-checked files, an application's materials.
    path("me/documents/", document_views.library, name="documents"),
    path("me/documents/<int:pk>/file/", document_views.document_file, name="document_file"),
    path("me/documents/<int:pk>/preview/", document_views.document_preview, name="document_preview"),
    path(
        "me/submissions/<uuid:public_id>/materials/",
        document_views.submission_materials,
        name="materials",
    ),
    path(
        "me/submissions/<uuid:public_id>/materials/<int:requirement_id>/",
        document_views.material_action,
        name="material_action",
    ),
    path(
        "me/submissions/<uuid:public_id>/materials/remove/<int:material_id>/",
        document_views.material_remove,
        name="material_remove",
    ),
]
