from django.urls import path

from integrations.elicences import views

app_name = "elicences"

urlpatterns = [
    path(
        "me/submissions/<uuid:public_id>/materials/<int:requirement_id>/elicence/",
        views.fetch_material,
        name="fetch_material",
    ),
]
