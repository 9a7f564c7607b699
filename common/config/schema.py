"""The top level of config.yaml."""
from pydantic import Field

from common.config.base import Section
from common.config.kiosk import KioskConfig
from common.config.server import ServerConfig


class Config(Section):
    server: ServerConfig = Field(ServerConfig(), description="the LAN inference server (python -m server / gunicorn)")
    kiosk: KioskConfig = Field(KioskConfig(), description="the Raspberry Pi touchscreen app (python -m kiosk)")
