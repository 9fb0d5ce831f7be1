"""End-to-end browser test of the journey a new user takes (run by scripts/e2e)."""
