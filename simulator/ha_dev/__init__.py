"""Development-only Home Assistant helpers (never shipped)."""
