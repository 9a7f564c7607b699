"""HTTP routes, one blueprint per area: the /v1 API, health and metrics, the web page."""
