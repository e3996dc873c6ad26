"""Pure bounce parsing: bytes in, events out (no ORM, no network).

Entry point: `parse_message(raw: bytes) -> ParsedMessage` (bounces/parsing/message.py).
"""
