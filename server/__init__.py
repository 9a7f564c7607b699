"""The LAN inference server: Flask API, web page, try-on pipeline."""
