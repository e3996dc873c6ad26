"""The root URLconf with its includes in reverse order (test_settings_urls.py)."""

from stmails.urls import urlpatterns as _root

urlpatterns = list(reversed(_root))
