"""Bounce mailboxes: the POP3/IMAP scanner family (settings, forms, views,
scanning and its batches)."""
