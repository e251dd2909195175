"""Whose case is it? Finding the applicant's own account for a case a department registered.

A department system sends the applicant's name and ID number. The case is attached to an
account of the hall only when the hall already knows, from a *verified* source, that the
account belongs to that person; a number someone merely typed into their own application is
not enough (anyone could type another person's number and then read their cases). Otherwise
the case stays under the department system's service account: the applicant follows it with
the public progress query (serial number + query code printed on the department's receipt),
and the applicant's notices are not sent to the service account.

Sources are functions ``source(*, name, id_type, id_number) -> list[account]`` listed in
``DEPARTMENT_SYSTEMS_IDENTITY_SOURCES``; the first source that names exactly one active
account wins, several accounts are ambiguous (no match). The built-in source is the window
(窗口核验): a clerk who registers a case at the window under the applicant's own account has
checked the identity card in person. The citizens' real-name profile (实名认证) adds its own
source when it exists.
"""

from django.conf import settings
from django.utils.module_loading import import_string

from applications.models import ApplicantType, Origin, Submission

DEFAULT_SOURCES = ("integrations.departments.applicants.window_verified",)


def window_verified(*, name: str, id_type: str, id_number: str) -> list:
    """Accounts under which window staff registered a case of this person (name and number)."""
    ids = (
        Submission.objects.filter(
            applicant_type=ApplicantType.PERSON,
            applicant_id_type=id_type,
            applicant_id_number=id_number,
            applicant_name=name,
            cases__origin=Origin.WINDOW,
            applicant__is_active=True,
            # A window case kept under the clerk's own account is not the applicant's account.
            applicant__is_staff=False,
        )
        .values_list("applicant_id", flat=True)
        .distinct()[:2]
    )
    from django.contrib.auth import get_user_model

    return list(get_user_model().objects.filter(pk__in=list(ids)))


def sources():
    return [
        import_string(path)
        for path in getattr(settings, "DEPARTMENT_SYSTEMS_IDENTITY_SOURCES", DEFAULT_SOURCES)
    ]


def matching_account(*, name: str, id_type: str, id_number: str):
    """The applicant's own account, or None (unknown, unverified or ambiguous)."""
    if not (name and id_number):
        return None
    for source in sources():
        accounts = {
            account.pk: account for account in source(name=name, id_type=id_type, id_number=id_number)
        }
        if len(accounts) == 1:
            account = next(iter(accounts.values()))
            if account.is_active:
                return account
        if len(accounts) > 1:
            return None
    return None
