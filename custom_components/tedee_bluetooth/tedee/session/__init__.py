"""The session policy: when to talk to a lock, and what to refuse.

Connecting and reconnecting with back-off, keep-alive and watchdog, leases on
the link, one command at a time under one deadline, the lock's own requests,
and the status and availability a user sees.
"""
