"""Development-only simulators of a Tedee lock and the Tedee cloud (never shipped by HACS)."""
