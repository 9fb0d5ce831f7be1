"""Tedee Bluetooth integration for Home Assistant."""
