"""One module per email provider: verification and parsing of its webhook events.

The registry maps a URL slug to its Provider class (webhooks/providers/registry.py).
"""
