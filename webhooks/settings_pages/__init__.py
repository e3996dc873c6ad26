"""The Settings pages of inbound provider webhooks: the providers and the recent
webhook events (views.py), the custom provider's endpoints (custom_views.py),
routed by urls.py under settings/bounces/. The receiving views stay at the top
of the app (views.py, service_views.py, custom_views.py): they are its routes.
"""
