from django.urls import path

from matters import views

app_name = "matters"

urlpatterns = [
    path("", views.matter_list, name="list"),
    path("<str:code>/", views.matter_detail, name="detail"),
    path("<str:code>/print/", views.matter_print, name="print"),
]
