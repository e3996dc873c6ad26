"""Helpers that know nothing of stmails' apps: env parsing, encryption, paging."""
