"""``/me/notifications/``: the portal inbox (站内信) of ``portal.models.Notification``.

The list shows the newest first with the unread ones marked; opening a message marks it as
read and links to the case it is about. Only the account's own messages: another one is 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from applications import drafts

PAGE_SIZE = 20


def safe_link(request, link: str) -> str:
    """A notification's link, only when it stays on this site (links are written by the
    services, but the inbox does not trust stored URLs blindly)."""
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}):
        return link
    return ""


@require_safe
@login_required
@never_cache
def inbox(request):
    paginator = Paginator(
        drafts.inbox(request.user).only("pk", "title", "created_at", "read_at", "link"), PAGE_SIZE
    )
    page_obj = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "applications/inbox/list.html",
        {
            "notifications": page_obj.object_list,
            "page_obj": page_obj,
            "page_range": paginator.get_elided_page_range(page_obj.number),
            "unread": drafts.unread_count(request.user),
        },
    )


@require_safe
@login_required
@never_cache
def notification(request, pk: int):
    message = get_object_or_404(drafts.inbox(request.user), pk=pk)
    was_unread = message.read_at is None
    drafts.mark_read(message)
    return render(
        request,
        "applications/inbox/detail.html",
        {"notification": message, "link": safe_link(request, message.link), "was_unread": was_unread},
    )


@require_POST
@login_required
def read_all(request):
    count = drafts.mark_all_read(request.user)
    if count:
        messages.success(request, _("已将 %(count)d 条消息标为已读。") % {"count": count})
    return redirect("applications:inbox")
