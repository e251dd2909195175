from django.urls import path

from matters import views

app_name = "guide"

urlpatterns = [
    path("", views.smart_guide, name="start"),
]
