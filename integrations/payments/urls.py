from django.urls import path

from integrations.payments import views

app_name = "payments"

urlpatterns = [
    path("notify/", views.notify, name="notify"),
    path("cases/<str:serial>/pay/", views.pay, name="pay"),
    path("orders/<str:order_number>/return/", views.bank_return, name="return"),
]
