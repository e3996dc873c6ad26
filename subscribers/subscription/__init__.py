"""Subscribing from outside: the public form and pages, listmonk's public API,
and double opt-in (optin.py: confirmation mails, confirm, unsubscribe,
preferences). The signed links themselves are subscribers/links.py, which
campaigns use too.
"""
