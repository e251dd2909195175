"""The same callback arriving several times at once is applied once (PostgreSQL waits on the receipt)."""

import json
import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.test import Client

from integrations import signing

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.integrations.urls"),
]


def test_five_simultaneous_copies_of_a_notification_pay_once(credential):
    key, secret = credential
    body = json.dumps({"notify_id": "N1", "amount_fen": 100}).encode()
    answers = []
    start = threading.Barrier(5)

    def post():
        try:
            headers = signing.signed_headers(key.key_id, secret, "POST", "/callbacks/bank/", body)
            start.wait()
            response = Client().post(
                "/callbacks/bank/", data=body, content_type="application/json", headers=headers
            )
            answers.append((response.status_code, response.json()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == 5 and {status for status, _ in answers} == {200}
    assert len({json.dumps(body) for _, body in answers}) == 1
    assert get_user_model().objects.filter(username="paid-N1").count() == 1
