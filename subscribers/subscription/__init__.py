"""Subscribing from outside: the public form and pages, listmonk's public API,
and double opt-in (optin.py: subscribe, confirm, unsubscribe, preferences;
confirmation.py: the confirmation mail). The signed links themselves are
subscribers/links.py, which campaigns use too.
"""
