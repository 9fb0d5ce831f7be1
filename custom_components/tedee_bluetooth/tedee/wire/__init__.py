"""The wire format, sans I/O: PTLS, records, crypto and the lock's codecs.

Bytes in, bytes and values out; nothing here waits, connects or keeps time.
The known-answer vectors pin it byte for byte.
"""
