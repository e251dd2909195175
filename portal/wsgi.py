import os
import sys

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()


def _warm_up() -> None:
    """Load jieba and pypinyin (a few seconds) while the server process starts, not in its first
    visitor's search. Only servers import this module; runserver does too, on every reload, so it
    keeps loading them lazily; SEARCH_WARM_UP=false turns the warm-up off."""
    if os.environ.get("SEARCH_WARM_UP", "true").lower() in ("0", "false", "no"):
        return
    if len(sys.argv) > 1 and sys.argv[1] == "runserver":
        return
    from matters import search

    search.warm_up()


_warm_up()
