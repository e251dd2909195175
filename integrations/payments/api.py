"""The applicant's payment order of a case in the JSON API (mounted by portal.api).

``GET /api/v1/applications/<serial>/payment/``: the case's current order (amount in fen and
as yuan text, state, deadline, refund) and ``pay_url``, the page that starts a payment (a
browser POST: it leads to the bank's page). Another account's case, or a case without an
order, is a 404.
"""

from django.urls import re_path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from applications import selectors as case_selectors
from integrations.payments import selectors
from integrations.payments.models import PaymentOrder
from portal.api_support import ERROR_RESPONSE


class PaymentOrderSerializer(serializers.ModelSerializer):
    amount = serializers.CharField(source="amount_yuan", read_only=True, help_text=_("金额（元），仅供显示"))
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    refund_state = serializers.SerializerMethodField()
    pay_url = serializers.SerializerMethodField()

    class Meta:
        model = PaymentOrder
        fields = (
            "order_number",
            "item_name",
            "amount_fen",
            "amount",
            "state",
            "state_label",
            "created_at",
            "expires_at",
            "paid_at",
            "refunded_at",
            "refund_state",
            "pay_url",
        )

    def get_refund_state(self, order) -> str | None:
        refund = getattr(order, "refund", None) if order.state in PaymentOrder.SETTLED else None
        return refund.state if refund else None

    def get_pay_url(self, order) -> str | None:
        if order.state in PaymentOrder.SETTLED or order.state == PaymentOrder.State.CLOSED:
            return None
        request = self.context.get("request")
        url = reverse("payments:pay", args=[order.case.serial])
        return request.build_absolute_uri(url) if request else url


class CasePaymentView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary=_("办件缴费单"),
        responses={200: PaymentOrderSerializer, 404: ERROR_RESPONSE},
        tags=["applications"],
    )
    def get(self, request, serial: str):
        case = case_selectors.applicant_cases(request.user).filter(serial=serial.upper()).first()
        order = selectors.current_order(case) if case is not None else None
        if order is None:
            raise exceptions.NotFound(gettext("未找到该办件的缴费单。"))
        return Response(PaymentOrderSerializer(order, context={"request": request}).data)


urlpatterns = [
    re_path(
        r"^applications/(?P<serial>[0-9A-Za-z]{1,60})/payment/$",
        CasePaymentView.as_view(),
        name="api-application-payment",
    ),
]
