"""Back office of the integrations: the outbox (with its dead letters), the request log, the
peers' keys, the peers' health, and the sandboxes' knobs.

For operators (superusers, or staff given these permissions explicitly; no role group has
them). Outbox payloads carry applicants' data, so only superusers see them in clear.
"""

import json

from django.conf import settings
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from integrations import credentials, health, outbox
from integrations.models import (
    OutboxMessage,
    PeerCredential,
    PeerRequestLog,
    PeerStatus,
    SandboxBehaviour,
)
from portal.admin_support import LargeTableAdminMixin

State = OutboxMessage.State


# --- outbox -----------------------------------------------------------------------


@admin.register(OutboxMessage)
class OutboxMessageAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "destination",
        "topic",
        "state",
        "attempts",
        "next_attempt_at",
        "created_at",
        "short_error",
    )
    list_filter = ("state", "destination", "topic")
    search_fields = ("=idempotency_key", "=ordering_key")
    ordering = ("-id",)
    actions = ("retry_messages", "discard_messages")
    base_fields = (
        "destination",
        "topic",
        "state",
        "idempotency_key",
        "ordering_key",
        "attempts",
        "next_attempt_at",
        "last_attempt_at",
        "claimed_at",
        "created_at",
        "sent_at",
        "last_error",
    )

    def get_fields(self, request, obj=None):
        # Payloads carry applicants' data: in clear for superusers only.
        return (*self.base_fields, "payload_display" if request.user.is_superuser else "payload_hidden")

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # discard instead: the row stays as evidence, and unblocks its ordering key

    def get_queryset(self, request):
        return super().get_queryset(request).defer("payload")

    @admin.display(description=_("最近错误"))
    def short_error(self, message):
        first = (message.last_error or "").splitlines()[0] if message.last_error else ""
        return first[:80] + ("…" if len(first) > 80 else "")

    @admin.display(description=_("内容"))
    def payload_display(self, message):
        return format_html("<pre>{}</pre>", json.dumps(message.payload, ensure_ascii=False, indent=2))

    @admin.display(description=_("内容"))
    def payload_hidden(self, message):
        return _("（含个人信息，仅超级管理员可见）")

    @admin.action(description=_("重新发送所选消息（死信或待发送）"), permissions=["change"])
    def retry_messages(self, request, queryset):
        count = outbox.retry(ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request, ngettext("%d 条消息已放回发送队列。", "%d 条消息已放回发送队列。", count) % count
        )

    @admin.action(description=_("丢弃所选消息（不再发送）"), permissions=["change"])
    def discard_messages(self, request, queryset):
        count = outbox.discard(
            ids=queryset.values_list("pk", flat=True), reason=f"by {request.user.get_username()}"
        )
        level = messages.SUCCESS if count else messages.WARNING
        self.message_user(
            request,
            ngettext("%d 条消息已丢弃。", "%d 条消息已丢弃。", count) % count
            if count
            else _("只有死信和待发送的消息可以丢弃。"),
            level,
        )


@admin.register(PeerStatus)
class PeerStatusAdmin(admin.ModelAdmin):
    """The health page: one line per peer (integrations.health), no rows of its own."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("integrations.view_outboxmessage") or super().has_view_permission(
            request, obj
        )

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        outbox_url = reverse("admin:integrations_outboxmessage_changelist")
        log_url = reverse("admin:integrations_peerrequestlog_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("对接系统状态"),
            "lines": health.peer_health(),
            "outbox_url": outbox_url,
            "log_url": log_url,
            "now": timezone.now(),
        }
        return TemplateResponse(request, "admin/integrations/peer_health.html", context)


# --- request log ------------------------------------------------------------------


@admin.register(PeerRequestLog)
class PeerRequestLogAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "peer",
        "direction",
        "method",
        "url",
        "status",
        "ok",
        "duration_ms",
        "request_bytes",
        "response_bytes",
        "error",
    )
    list_filter = ("peer", "direction", "ok")
    search_fields = ("=outbox_message_id",)
    ordering = ("-created_at",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # pruned by manage.py integrations_prune


# --- peers' keys ------------------------------------------------------------------


@admin.register(PeerCredential)
class PeerCredentialAdmin(admin.ModelAdmin):
    list_display = ("name", "peer", "key_id", "user", "is_active", "created_at", "last_used_at")
    list_filter = ("peer", "is_active")
    search_fields = ("name", "=key_id")
    raw_id_fields = ("user",)
    readonly_fields = ("key_id", "created_at", "last_used_at")
    fields = ("peer", "name", "user", "is_active", "note", "key_id", "created_at", "last_used_at")
    actions = ("rotate_secrets",)

    def save_model(self, request, obj, form, change):
        if not change:
            request._new_peer_secret = credentials.fill(obj)
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        secret = getattr(request, "_new_peer_secret", None)
        if secret is None:  # pragma: no cover - every add goes through save_model
            return super().response_add(request, obj, post_url_continue)
        return self._show_secrets(request, [(obj, secret)])

    @admin.action(description=_("重新生成所选密钥的密钥值（旧值立即失效）"), permissions=["change"])
    def rotate_secrets(self, request, queryset):
        return self._show_secrets(
            request, [(credential, credentials.rotate(credential)) for credential in queryset]
        )

    def _show_secrets(self, request, pairs):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("对接密钥（仅显示这一次）"),
            "pairs": pairs,
            "changelist_url": reverse("admin:integrations_peercredential_changelist"),
        }
        response = TemplateResponse(request, "admin/integrations/peer_secret.html", context)
        response["Cache-Control"] = "no-store"
        return response


# --- sandboxes --------------------------------------------------------------------


class SandboxBehaviourAdmin(admin.ModelAdmin):
    list_display = (
        "sandbox",
        "fail_rate",
        "slow_rate",
        "slow_seconds",
        "garbage_rate",
        "latency_seconds",
        "updated_at",
    )
    list_editable = ("fail_rate", "slow_rate", "slow_seconds", "garbage_rate", "latency_seconds")
    readonly_fields = ("sandbox", "updated_at")
    actions = ("reset_sandboxes",)

    def has_add_permission(self, request):
        return False

    def changelist_view(self, request, extra_context=None):
        from integrations.sandbox import framework

        framework.autodiscover()
        for sandbox in framework.registered():
            SandboxBehaviour.objects.get_or_create(sandbox=sandbox.name)
        return super().changelist_view(request, extra_context)

    @admin.action(description=_("恢复正常并清空所选沙箱的数据"), permissions=["change"])
    def reset_sandboxes(self, request, queryset):
        from integrations.sandbox import framework

        names = list(queryset.values_list("sandbox", flat=True))
        for name in names:
            framework.reset(name)
        self.message_user(request, _("已重置：%s") % "、".join(names))


if getattr(settings, "SANDBOX_ENABLED", False):
    admin.site.register(SandboxBehaviour, SandboxBehaviourAdmin)
