"""Applicant-facing pages. Each concern's views live in applications/views/<concern>.py."""

from django.urls import path

from applications.views import apply as apply_views
from applications.views import documents as document_views
from applications.views import express as express_views
from applications.views import inbox as inbox_views
from applications.views import issued as issued_views
from applications.views import my_cases as my_cases_views
from applications.views import progress as progress_views
from applications.views import verify as verify_views

app_name = "applications"

urlpatterns: list = [
    # Helpers append their routes below this line, one block per views module.
    # Applicant's pages (i5): apply for a matter, my cases, the public progress query, the inbox.
    path("matters/<str:code>/apply/", apply_views.start, name="apply"),
    path("matters/<str:code>/apply/<uuid:public_id>/form/", apply_views.form_step, name="apply_form"),
    path("matters/<str:code>/apply/<uuid:public_id>/autosave/", apply_views.autosave, name="apply_autosave"),
    path(
        "matters/<str:code>/apply/<uuid:public_id>/materials/",
        apply_views.materials_step,
        name="apply_materials",
    ),
    path("matters/<str:code>/apply/<uuid:public_id>/review/", apply_views.review_step, name="apply_review"),
    path("matters/<str:code>/apply/<uuid:public_id>/submit/", apply_views.submit, name="apply_submit"),
    path("matters/<str:code>/apply/<uuid:public_id>/discard/", apply_views.discard, name="apply_discard"),
    path("me/applications/", my_cases_views.case_list, name="my_cases"),
    path("me/applications/<str:serial>/", my_cases_views.detail, name="detail"),
    path("me/applications/<str:serial>/receipt/", apply_views.receipt, name="receipt"),
    path("me/applications/<str:serial>/withdraw/", my_cases_views.withdraw, name="withdraw"),
    path(
        "me/applications/<str:serial>/correction/", my_cases_views.supply_correction, name="supply_correction"
    ),
    # Express delivery (i4, logistics): ask for a parcel, follow its timeline.
    path(
        "me/applications/<str:serial>/express/<slug:direction>/",
        express_views.request_shipment,
        name="express",
    ),
    path("me/applications/<str:serial>/parcels/<int:pk>/", express_views.parcel, name="parcel"),
    path("progress/", progress_views.progress, name="progress"),
    path("me/notifications/", inbox_views.inbox, name="inbox"),
    path("me/notifications/<int:pk>/", inbox_views.notification, name="notification"),
    path("me/notifications/read-all/", inbox_views.read_all, name="inbox_read_all"),
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
