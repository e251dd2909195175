"""The bank's merchant API (统一网上缴费), over ``integrations.http.PeerClient``.

Plain data in, plain data out; no domain models. Every request is signed with the
merchant key (the active ``PeerCredential`` of peer ``payments``: the bank and the hall share
it, and the bank signs its notifications with the same key).

=====================================  =====================================================
``POST orders/``                       register an order (``Idempotency-Key``: one per order)
                                       → ``{"bank_order_id", "pay_url", "status"}``
``GET orders/<order_number>/``         query it → ``{"status", "amount_fen", "transaction_id",
                                       "paid_at"}``; 404 ``order_not_found``
``POST orders/<order_number>/close/``  close an unpaid order (idempotent)
``POST refunds/``                      refund a paid order (``Idempotency-Key``)
                                       → ``{"refund_id", "status", "refunded_at"}``
``GET statements/?date=YYYY-MM-DD``    the day's statement file (CSV, amounts in yuan)
=====================================  =====================================================

Amounts are integer fen on the JSON API; the statement file, like real banks' files, writes
yuan with two decimals and is read with ``Decimal`` (``statement.parse``).
"""

import datetime

from django.conf import settings

from integrations import credentials
from integrations.errors import PeerUnavailable
from integrations.http import PeerClient, SigningKey
from integrations.models import PeerCredential

PEER = "payments"

# Bank statuses of an order (the sandbox and the real bank's contract).
WAITING, SUCCESS, FAILED, CLOSED = "WAITING", "SUCCESS", "FAILED", "CLOSED"


def base_url() -> str:
    """``PAYMENTS_URL``, or the sandbox when it is not configured."""
    return settings.PAYMENTS_URL or f"{settings.SANDBOX_BASE_URL.rstrip('/')}/payments/"


def merchant_key() -> SigningKey:
    credential = PeerCredential.objects.filter(peer=PEER, is_active=True).order_by("-pk").first()
    if credential is None:
        raise PeerUnavailable("payments: no active merchant key (系统对接 › 对接密钥, peer payments)")
    return SigningKey(credential.key_id, credentials.secret_of(credential))


class BankClient:
    def __init__(self, *, retries: int = 0, read_timeout: float | None = None):
        self.http = PeerClient(
            peer=PEER,
            base_url=base_url(),
            retries=retries,
            read_timeout=read_timeout if read_timeout is not None else settings.PAYMENTS_READ_TIMEOUT,
            signing=merchant_key(),
        )

    def create_order(
        self,
        *,
        order_number: str,
        subject: str,
        amount_fen: int,
        expires_at: datetime.datetime,
        notify_url: str,
        return_url: str,
    ) -> dict:
        return self.http.post(
            "orders/",
            json={
                "merchant_id": settings.PAYMENTS_MERCHANT_ID,
                "order_number": order_number,
                "subject": subject,
                "amount_fen": int(amount_fen),
                "expires_at": expires_at.isoformat(),
                "notify_url": notify_url,
                "return_url": return_url,
            },
            idempotency_key=f"order-{order_number}",
        ).json()

    def query_order(self, order_number: str) -> dict:
        return self.http.get(f"orders/{order_number}/").json()

    def close_order(self, order_number: str, *, idempotency_key: str = "") -> dict:
        return self.http.post(
            f"orders/{order_number}/close/",
            json={},
            idempotency_key=idempotency_key or f"close-{order_number}",
        ).json()

    def refund(
        self, *, order_number: str, refund_number: str, amount_fen: int, reason: str, idempotency_key: str
    ) -> dict:
        return self.http.post(
            "refunds/",
            json={
                "merchant_id": settings.PAYMENTS_MERCHANT_ID,
                "order_number": order_number,
                "refund_number": refund_number,
                "amount_fen": int(amount_fen),
                "reason": reason,
            },
            idempotency_key=idempotency_key,
        ).json()

    def statement(self, day: datetime.date) -> str:
        answer = self.http.get("statements/", params={"date": day.isoformat()})
        return answer.body.decode("utf-8-sig")


def client(**kwargs) -> BankClient:
    return BankClient(**kwargs)
