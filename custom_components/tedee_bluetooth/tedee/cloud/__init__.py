"""The Tedee cloud: its API on aiohttp, and the account's request budget."""
