"""The sandboxes: stand-ins of every external system, speaking their HTTP contracts.

Mounted under ``/sandbox/`` when ``SANDBOX_ENABLED`` (development, tests, demos; never in
production). Each sandbox is a module (or package) of this package that defines::

    SANDBOX = framework.register("payments", _("统一网上缴费（沙箱）"), reset=_clear_my_tables)
    urlpatterns = [path("orders/", framework.endpoint("payments")(orders_view)), ...]

and is mounted at ``/sandbox/<name>/`` by ``integrations.sandbox.urls`` (found automatically).
Its state lives in its own ``Sandbox…`` tables (integrations.models.sandbox), like the
real system's would. ``framework`` gives every sandbox the same failure knobs, a control
endpoint (``/sandbox/<name>/_control/``) and an admin page.
"""
