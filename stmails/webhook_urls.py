"""The lean stack's URLconf (stmails.wsgi): /webhooks/ only, by module name."""

from django.urls import include, path

urlpatterns = [path("webhooks/", include("webhooks.lean_urls"))]
