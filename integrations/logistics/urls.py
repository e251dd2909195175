"""Callbacks of the carrier, mounted at /integrations/logistics/."""

from django.urls import path

from integrations.logistics import views

app_name = "logistics"

urlpatterns = [path("events/", views.tracking_event, name="events")]
