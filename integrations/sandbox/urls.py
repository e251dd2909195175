"""URLs of the sandboxes, mounted at /sandbox/ when SANDBOX_ENABLED. Each peer adds its own."""

app_name = "sandbox"

urlpatterns: list = []
