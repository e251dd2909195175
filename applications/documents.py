"""Documents the hall issues for a case (受理回执, 补正告知书, 不予受理通知书, 办结通知书).

``schedule_issue`` runs inside the transition's transaction: it creates the
``IssuedDocument`` row (with its verification token) at once and renders the PDF after
commit, so a transition never waits for WeasyPrint.
"""

from applications.models import Case, IssuedDocument, ProcessRecord
from portal import publishing


def schedule_issue(*, case: Case, kind: str, record: ProcessRecord) -> IssuedDocument:
    issued = IssuedDocument.objects.create(case=case, kind=kind, record=record)
    from applications.tasks import render_issued_document

    publishing.on_commit(render_issued_document, issued.pk)
    return issued
