"""Time-ordered UUIDs (RFC 9562 version 7): index-friendly primary keys that sort by creation.

Within one process they are strictly increasing (RFC 9562 section 6.2, method 1: a 12-bit counter in
rand_a within the same millisecond), so rows made in one request keep their order."""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_millis = 0
_counter = 0


def uuid7() -> uuid.UUID:
    global _last_millis, _counter
    with _lock:
        millis = time.time_ns() // 1_000_000
        if millis <= _last_millis:
            _counter += 1
            if _counter > 0xFFF:  # counter spent: borrow the next millisecond
                _last_millis += 1
                _counter = 0
            millis = _last_millis
        else:
            _last_millis = millis
            _counter = 0
        counter = _counter
    value = (millis & 0xFFFF_FFFF_FFFF) << 80
    value |= 0x7 << 76  # version
    value |= counter << 64  # rand_a: the monotonic counter
    value |= 0b10 << 62  # variant
    value |= int.from_bytes(os.urandom(8), "big") & 0x3FFF_FFFF_FFFF_FFFF  # rand_b, 62 bits
    return uuid.UUID(int=value)
