"""Views that stand for the peers' future callbacks and inbound APIs, for the inbound tests."""

import json

from django.contrib.auth import get_user_model
from django.http import JsonResponse
from django.urls import path
from rest_framework import status
from rest_framework.response import Response

from integrations.inbound import PeerAPIView, deduplicated, signed_callback


@signed_callback(peer="payments", external_id="notify_id")
def bank_notify(request):
    body = json.loads(request.body)
    if body.get("amount_fen", 0) <= 0:
        return JsonResponse({"error": {"code": "bad_amount", "message": "金额无效"}}, status=400)
    get_user_model().objects.create(username=f"paid-{body['notify_id']}")
    return JsonResponse({"received": body["notify_id"], "credential": request.peer_credential.key_id})


@signed_callback(peer="logistics")
def tracking_event(request):
    return JsonResponse({"ok": True})


class RegisterCase(PeerAPIView):
    peer = "departments"

    @deduplicated(external_id="external_id")
    def post(self, request):
        user = get_user_model().objects.create(username=f"case-{request.data['external_id']}")
        return Response(
            {"case": user.pk, "acting_as": request.user.get_username()}, status=status.HTTP_201_CREATED
        )


urlpatterns = [
    path("callbacks/bank/", bank_notify),
    path("callbacks/tracking/", tracking_event),
    path("api/cases/", RegisterCase.as_view()),
]
