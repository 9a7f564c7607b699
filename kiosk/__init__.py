"""The Raspberry Pi kiosk: touchscreen app, camera sources and the try-on server client.

Runs on a Pi 4 with Raspberry Pi OS: no torch, no mediapipe anywhere under this package.
"""
