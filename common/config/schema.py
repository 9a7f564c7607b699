"""The top level of config.yaml."""
from common.config.base import Section
from common.config.kiosk import KioskConfig
from common.config.server import ServerConfig


class Config(Section):
    server: ServerConfig = ServerConfig()
    kiosk: KioskConfig = KioskConfig()
