"""The `server:` section of config.yaml: the LAN inference server."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from common.config.base import Section


class AcgpnConfig(Section):
    checkpoints_dir: Path | None = Field(
        None, description="folder with the authors' latest_net_G1.pth, latest_net_G2.pth, latest_net_U.pth, "
        "latest_net_G.pth")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="auto: cuda when torch sees a GPU, else cpu")
    paste_back: bool = Field(
        True, description="paste the untouched regions (face, hair, background, lower body) back at full resolution")
    precision: Literal["auto", "float32", "bfloat16"] = Field(
        "auto", description="the networks after G1 (the parsing stays float32); auto: bfloat16 where the hardware "
        "computes it natively (AMX / AVX512-BF16 CPUs, CUDA GPUs that support it), else float32; float32 reproduces "
        "the official code")
    threads: int = Field(0, ge=0, le=256, description="torch intra-op threads; 0: one per core")


class PreprocessConfig(Section):
    parser: Literal["learned", "heuristic", "schp"] = Field(
        "learned", description="learned: the project's trained parser (parser_weights); heuristic: the MediaPipe "
        "models and colour rules, also the fallback when the learned parser's weights are missing or broken; "
        "schp: a user-supplied SCHP-LIP checkpoint (schp_checkpoint)")
    parser_weights: Path | None = Field(
        None, description="weights of the learned parser (e.g. a store's own retraining); null: the shipped "
        "server/weights/parser.pt")
    schp_checkpoint: Path | None = Field(None, description="the SCHP-LIP checkpoint for parser: schp")
    pose: Literal["mediapipe", "openpose"] = Field(
        "mediapipe", description="mediapipe: the packaged BlazePose; openpose: a user-supplied OpenPose COCO body "
        "model (openpose_model)")
    openpose_model: Path | None = Field(
        None, description="the OpenPose COCO body model for pose: openpose (pose_iter_440000.caffemodel, with "
        "pose_deploy_linevec.prototxt beside it)")


class CatalogConfig(Section):
    dir: Path | None = Field(
        None, description="folder of garment product photos (+ optional catalog.yaml); null: the built-in catalog")
    cache_dir: Path = Field(
        Path("~/.cache/fitting-booth/catalog"), description="masks and thumbnails, keyed by the photo's content hash")


class LimitsConfig(Section):
    max_body_mb: float = Field(20.0, gt=0, le=200, description="request body limit in MB (413 beyond)")
    max_pixels: int = Field(40_000_000, gt=0, description="decoded image pixel limit (413 beyond)")
    concurrency: int = Field(1, ge=1, le=64, description="try-ons running at once per worker process")
    max_queue: int = Field(
        4, ge=0, le=1000, description="how many more try-ons may wait; beyond, the server answers 503 + Retry-After")
    request_timeout_s: float = Field(30.0, gt=0, le=600, description="a try-on that takes longer answers 504")
    max_side: int = Field(
        1536, ge=256, le=8192, description="photos are scaled down to this longer side (px) before anything else "
        "(a big JPEG is decoded at reduced size); try-ons come back at that size")


LegacyRoute = Literal["pose_json", "pose_mobile", "vitons"]


class LegacyConfig(Section):
    routes: list[LegacyRoute] = Field(
        ["pose_json", "pose_mobile", "vitons"], description="drop one to turn its route off")
    without_token: list[LegacyRoute] = Field(
        [], description="with auth_token set, these routes still answer (their clients cannot send one)")
    mobile_garments: list[str] = Field(
        default_factory=list, max_length=10,
        description="catalog garment ids for the mobile app's index 0-9; empty: the first ten in catalog order")


class ServerConfig(Section):
    host: str = Field("127.0.0.1", description="address to listen on; 0.0.0.0 to serve the store LAN")
    port: int = Field(8000, ge=1, le=65535, description="TCP port to listen on")
    backend: Literal["auto", "acgpn", "learned", "embedded"] = Field(
        "auto", description="auto: ACGPN when its checkpoints are configured and load, else the learned try-on when "
        "its weights load, else the embedded (classical) one")
    fallback_to_embedded: bool = Field(
        True, description="with backend acgpn or learned, serve the embedded backend instead of refusing to start "
        "when the checkpoints or weights are missing or broken")
    learned_weights: Path | None = Field(
        None, description="weights of the learned try-on; null: the shipped server/weights/tryon.pt")
    acgpn: AcgpnConfig = Field(AcgpnConfig(), description="the ACGPN backend (docs/acgpn.md)")
    preprocess: PreprocessConfig = Field(
        PreprocessConfig(), description="person parsing and pose (docs/preprocessing.md)")
    catalog: CatalogConfig = Field(CatalogConfig(), description="the garments on offer")
    limits: LimitsConfig = Field(LimitsConfig(), description="request size, queue and time limits")
    auth_token: str | None = Field(
        None, description="shared secret for the store LAN: clients send \"Authorization: Bearer <token>\"; null: none")
    cors_origins: list[str] = Field([], description="browser origins allowed to call the API; empty: CORS closed")
    legacy: LegacyConfig = Field(
        LegacyConfig(), description="the earlier systems' clients, served unchanged (README: \"Earlier clients\")")
    save_images: bool = Field(
        False, description="debugging only: write shoppers' photos and results to save_dir; off in any store")
    save_dir: Path | None = Field(None, description="where save_images writes")
    output_jpeg_quality: int = Field(90, ge=30, le=100, description="JPEG quality of the try-on images sent back")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="the least severe level logged")
