"""The `server:` section of config.yaml: the LAN inference server."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from common.config.base import Section


class AcgpnConfig(Section):
    # Folder holding the authors' latest_net_G1.pth, latest_net_G2.pth, latest_net_U.pth, latest_net_G.pth.
    checkpoints_dir: Path | None = None
    device: Literal["auto", "cpu", "cuda"] = "auto"
    # Paste the untouched regions (face, hair, background, lower body) back at full resolution.
    paste_back: bool = True
    # Numbers after G1 (the parsing stays float32): auto = bfloat16 when the CPU computes it natively
    # (AMX / AVX512-BF16), else float32. float32 reproduces the official code.
    precision: Literal["auto", "float32", "bfloat16"] = "auto"
    # torch intra-op threads; 0 = one per core.
    threads: int = Field(0, ge=0, le=256)


class PreprocessConfig(Section):
    # "learned" runs the project's trained parser (server/weights/parser.pt, or parser_weights); "heuristic"
    # builds the LIP parsing from the MediaPipe models and colour rules (also the fallback when the learned
    # parser's weights are missing or broken); "schp" loads a user-supplied SCHP-LIP checkpoint.
    parser: Literal["learned", "heuristic", "schp"] = "learned"
    # Weights of the learned parser; empty: the ones shipped with the project (e.g. a store's own retraining).
    parser_weights: Path | None = None
    schp_checkpoint: Path | None = None
    # "mediapipe" uses the packaged BlazePose; "openpose" loads a user-supplied OpenPose COCO body model.
    pose: Literal["mediapipe", "openpose"] = "mediapipe"
    openpose_model: Path | None = None


class CatalogConfig(Section):
    # Folder of garment product photos (+ optional catalog.yaml). Empty: the built-in generated catalog.
    dir: Path | None = None
    # Where masks and thumbnails are cached, keyed by the photo's content hash.
    cache_dir: Path = Path("~/.cache/fitting-booth/catalog")


class LimitsConfig(Section):
    max_body_mb: float = Field(20.0, gt=0, le=200)
    max_pixels: int = Field(40_000_000, gt=0)
    # Try-ons running at once per worker process, and how many more may wait before 503.
    concurrency: int = Field(1, ge=1, le=64)
    max_queue: int = Field(4, ge=0, le=1000)
    request_timeout_s: float = Field(30.0, gt=0, le=600)
    # Photos are scaled down to at most this many pixels on their longer side before anything else (a big
    # JPEG is decoded at reduced size): try-ons come back at that size.
    max_side: int = Field(1536, ge=256, le=8192)


LegacyRoute = Literal["pose_json", "pose_mobile", "vitons"]


class LegacyConfig(Section):
    # Routes for the earlier systems' clients (README: "Earlier clients"); drop a name to turn its route off.
    routes: list[LegacyRoute] = ["pose_json", "pose_mobile", "vitons"]
    # Those clients cannot send a token: with auth_token set, only the routes listed here still answer.
    without_token: list[LegacyRoute] = []
    # Catalog garment ids for the mobile app's index 0-9; empty: the first ten garments in catalog order.
    mobile_garments: list[str] = Field(default_factory=list, max_length=10)


class ServerConfig(Section):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    # auto: ACGPN when its checkpoints are configured and load, else the learned try-on when its weights load,
    # else the embedded (classical) one.
    backend: Literal["auto", "acgpn", "learned", "embedded"] = "auto"
    # With backend: acgpn or learned, serve the embedded backend when the checkpoints or weights are missing or
    # broken instead of refusing to start.
    fallback_to_embedded: bool = True
    # Weights of the learned try-on; empty: the ones shipped with the project (server/weights/tryon.pt).
    learned_weights: Path | None = None
    acgpn: AcgpnConfig = AcgpnConfig()
    preprocess: PreprocessConfig = PreprocessConfig()
    catalog: CatalogConfig = CatalogConfig()
    limits: LimitsConfig = LimitsConfig()
    # Shared secret for the store LAN: clients send "Authorization: Bearer <token>". Empty: no auth.
    auth_token: str | None = None
    # Origins allowed to call the API from a browser; empty: CORS closed.
    cors_origins: list[str] = []
    legacy: LegacyConfig = LegacyConfig()
    # Debugging only: write shoppers' photos and results to save_dir. Off in any store.
    save_images: bool = False
    save_dir: Path | None = None
    output_jpeg_quality: int = Field(90, ge=30, le=100)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
