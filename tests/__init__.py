"""Tests for the Tedee Bluetooth integration, its library and simulators."""
