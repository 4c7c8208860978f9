"""Read the QR code on a poster the way a phone would (the decoder lives in posterbooth.qrdecode)."""

from __future__ import annotations

from posterbooth.qrdecode import decode_poster_qr

__all__ = ["decode_poster_qr"]
