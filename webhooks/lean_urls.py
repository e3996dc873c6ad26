"""/webhooks/... as the lean middleware stack serves them (stmails.wsgi).

POST /webhooks/bounce takes the lean view (views.bounce_webhook_lean, which
hands anything unusual to the DRF view); every other route is webhooks.urls.
"""

from django.urls import include, path

from webhooks import views

urlpatterns = [
    path("bounce", views.bounce_webhook_lean),
    path("", include("webhooks.urls")),
]
