"""The one configuration file, `config.yaml`, with a `server` and a `kiosk` section.

Each half validates the whole file at start, so a typo anywhere stops the program with a message that
names the key and the allowed values instead of being silently ignored.
"""
from common.config.kiosk import KioskConfig
from common.config.loader import ConfigError, default_config_path, load_config
from common.config.schema import Config
from common.config.server import ServerConfig

__all__ = ["Config", "ConfigError", "KioskConfig", "ServerConfig", "default_config_path", "load_config"]
