"""Documents the hall issues for a case (受理回执, 补正告知书, 不予受理通知书, 办结通知书).

``schedule_issue`` runs inside the transition's transaction: it creates the
``IssuedDocument`` row (with its verification token) at once and renders the PDF after
commit, so a transition never waits for WeasyPrint.
"""

from django.db import transaction

from applications.models import Case, IssuedDocument, ProcessRecord


def schedule_issue(*, case: Case, kind: str, record: ProcessRecord) -> IssuedDocument:
    issued = IssuedDocument.objects.create(case=case, kind=kind, record=record)
    from applications.tasks import render_issued_document

    # robust: a broker that is down must not turn the committed transition into an error page.
    transaction.on_commit(lambda: render_issued_document.delay(issued.pk), robust=True)
    return issued
