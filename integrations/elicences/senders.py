"""Outbox destination ``elicences``: issued e-licences pushed to the platform (电子证照库).

The message's payload is the licence's standard metadata; the file is read (or rendered, if
the rendering task has not run yet) when the message is sent, and pushed with the message's
idempotency key, so the platform keeps one copy however often it is delivered.
"""

from django.conf import settings

from integrations.destinations import Envelope, register_destination


def send(envelope: Envelope) -> None:
    from integrations.elicences import services
    from integrations.elicences.client import LicenceClient

    content = services.licence_file(envelope.payload["identifier"])
    LicenceClient.from_settings().push(envelope.payload, content=content, idempotency_key=envelope.key)


register_destination(
    "elicences", send, label="电子证照库", enabled=lambda: bool(getattr(settings, "ELICENCES_URL", ""))
)
