"""The deliverability check: SPF, DKIM, DMARC and Return-Path alignment per domain.

- `targets`: which domains stmails sends as (settings and recent campaigns).
- `spf`, `dkim`, `dmarc`, `alignment`: look records up through
  `stmails.lib.dns_resolver` and turn them into plain-words findings; no ORM.
- `report.check_deliverability()`: the one entry point the page calls.
"""
