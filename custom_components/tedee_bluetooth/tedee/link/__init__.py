"""One connection to one lock: open the link, make the handshake, run commands.

The client drives the PTLS machine over a BleakClient-shaped link, orders the
frames that arrive and matches answers to commands; the connector opens links
the way Home Assistant's Bluetooth stack wants.
"""
