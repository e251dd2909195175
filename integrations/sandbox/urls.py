"""URLs of the sandboxes, mounted at /sandbox/ when SANDBOX_ENABLED.

Every sandbox module of ``integrations.sandbox`` (see its docstring) is mounted at
``/sandbox/<SANDBOX.name>/``; ``/sandbox/<name>/_control/`` is the framework's control
endpoint. URL names live in the ``sandbox`` namespace.
"""

from django.urls import include, path

from integrations.sandbox import framework

app_name = "sandbox"

urlpatterns: list = [path("<slug:name>/_control/", framework.control, name="control")]
urlpatterns += [
    path(f"{module.SANDBOX.name}/", include(module.urlpatterns)) for module in framework.autodiscover()
]
