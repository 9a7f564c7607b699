"""Try-on quality on pairs in VITON layout (image/, image-parse/, pose/, cloth/, cloth-mask/, pairs_*.txt).

    .venv/bin/python bench/eval_quality.py --data ../shared/eval/viton_dev --server http://127.0.0.1:8000
    .venv/bin/python bench/eval_quality.py --data ../shared/eval/viton_dev --in-process
    .venv/bin/python bench/eval_quality.py --data ../shared/eval/viton_dev --gt-preprocess
    .venv/bin/python bench/eval_quality.py --pictures docs/images      # astronaut pictures for docs/

--server posts each pair to POST /v1/tryon (person_image + garment_image as base64); --in-process runs
Preprocessor + EmbeddedBackend here (--parsers learned heuristic: a row for each parser); --gt-preprocess skips our preprocessing and builds PersonAnalysis from
the dataset's own parsing (LIP) and OpenPose keypoints and the garment from cloth-mask (an ablation that
separates warp/compose quality from pose/parsing quality).

Paired (each person with the garment they wear: the photo is the ground truth):
  ssim_garment   SSIM averaged inside the garment region (LIP 5, 6, 7 of the ground-truth parse)
  psnr_outside   PSNR outside garment + arms (LIP 5, 6, 7, 14, 15): untouched regions must stay untouched
  de2000         CIEDE2000 between the mean Lab colour of the garment region in result and photo
  ssim_whole     whole-image SSIM (misleading on its own: see the identity and paste baselines)
Unpaired (another person's garment):
  psnr_outside   as above, against the input photo
  moved          share of the original garment region whose colour is nearer (Lab) to the new garment's mean
                 colour than to the old garment's

Two baselines run on the same pairs: identity (the photo sent back) and paste (the garment photo resized
into the bounding box of the upper-clothes region). VITON images are research-only: this script prints
numbers and writes no images.
"""
from __future__ import annotations

import argparse
import base64
import io
import json
import sys
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image
from skimage.color import deltaE_ciede2000, rgb2lab
from skimage.metrics import structural_similarity

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.pipeline.types import GarmentAnalysis, PersonAnalysis  # noqa: E402

GARMENT = (5, 6, 7)
GARMENT_AND_ARMS = (5, 6, 7, 14, 15)

TryOn = Callable[[np.ndarray, np.ndarray, "Sample", "Sample"], np.ndarray]


class Sample:
    """One VITON id: the person photo, parse, keypoints, and the garment photo + mask with that id."""

    def __init__(self, data: Path, pid: str, scale: int) -> None:
        self.pid = pid
        self.scale = scale
        self.image = _load_rgb(data / "image" / f"{pid}_0.jpg")
        self.parse = np.array(Image.open(data / "image-parse" / f"{pid}_0.png"))  # raw palette indices = LIP
        pose = json.loads((data / "pose" / f"{pid}_0_keypoints.json").read_text())["people"][0]
        self.keypoints = np.array(pose["pose_keypoints"], np.float32).reshape(18, 3)
        self.cloth = _load_rgb(data / "cloth" / f"{pid}_1.jpg")
        self.cloth_mask = np.where(np.array(Image.open(data / "cloth-mask" / f"{pid}_1.jpg").convert("L")) > 127,
                                   255, 0).astype(np.uint8)

    def up(self, img: np.ndarray, nearest: bool = False) -> np.ndarray:
        """The array at the evaluation working scale (camera-like resolution for scale 4)."""
        if self.scale == 1:
            return img
        h, w = img.shape[:2]
        return np.array(Image.fromarray(img).resize((w * self.scale, h * self.scale),
                                                    Image.NEAREST if nearest else Image.BICUBIC))

    def down(self, img: np.ndarray) -> np.ndarray:
        h, w = self.image.shape[:2]
        return img if img.shape[:2] == (h, w) else np.array(Image.fromarray(img).resize((w, h), Image.BOX))


def _load_rgb(path: Path) -> np.ndarray:
    return np.array(Image.open(path).convert("RGB"))


# ---- ways to produce a try-on ------------------------------------------------------------------------------

def identity(person: Sample, garment: Sample) -> np.ndarray:
    return person.image


def crude_paste(person: Sample, garment: Sample) -> np.ndarray:
    """The garment photo squeezed into the upper-clothes bounding box (what whole-image SSIM rewards)."""
    out = person.image.copy()
    ys, xs = np.nonzero(np.isin(person.parse, (5,)))
    if len(ys) == 0:
        return out
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    cys, cxs = np.nonzero(garment.cloth_mask)
    crop = (slice(cys.min(), cys.max() + 1), slice(cxs.min(), cxs.max() + 1))
    rgb = np.array(Image.fromarray(garment.cloth[crop]).resize((x1 - x0, y1 - y0), Image.BILINEAR))
    mask = np.array(Image.fromarray(garment.cloth_mask[crop]).resize((x1 - x0, y1 - y0), Image.NEAREST)) > 127
    region = out[y0:y1, x0:x1]
    region[mask] = rgb[mask]
    return out


def gt_tryon(backend) -> Callable[[Sample, Sample], np.ndarray]:
    """EmbeddedBackend on the dataset's own parsing and keypoints (no preprocessing of ours)."""
    from server.pipeline.preprocess.labels import lip_to_acgpn

    def run(person: Sample, garment: Sample) -> np.ndarray:
        s = person.scale
        lip = person.up(person.parse, nearest=True)
        kp = person.keypoints.copy()
        kp[:, :2] *= s
        analysis = PersonAnalysis(image=person.up(person.image), keypoints=kp, lip=lip, labels=lip_to_acgpn(lip),
                                  person_mask=(lip > 0).astype(np.float32))
        g = GarmentAnalysis(image=garment.up(garment.cloth), mask=garment.up(garment.cloth_mask, nearest=True),
                            category="tshirt")
        return person.down(backend.try_on(analysis, g).image)
    return run


def in_process_tryon(backend, parser: str) -> Callable[[Sample, Sample], np.ndarray]:
    from common.config.server import PreprocessConfig
    from server.pipeline.preprocess import Preprocessor

    pre = Preprocessor(PreprocessConfig(parser=parser))

    def run(person: Sample, garment: Sample) -> np.ndarray:
        analysis = pre.analyze_person(person.up(person.image), category="tshirt")
        g = pre.analyze_garment(garment.up(garment.cloth), category="tshirt")
        return person.down(backend.try_on(analysis, g).image)
    return run


def server_tryon(url: str, token: str | None) -> Callable[[Sample, Sample], np.ndarray]:
    import requests

    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    def b64(img: np.ndarray) -> str:
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, format="PNG")
        return base64.b64encode(buf.getvalue()).decode()

    def run(person: Sample, garment: Sample) -> np.ndarray:
        body = {"person_image": b64(person.up(person.image)), "garment_image": b64(garment.up(garment.cloth)),
                "category": "tshirt", "seed": 0}
        r = session.post(url.rstrip("/") + "/v1/tryon", json=body, headers=headers, timeout=120)
        if r.status_code != 200:
            raise RuntimeError(f"{r.status_code} {r.text[:200]}")
        return person.down(np.array(Image.open(io.BytesIO(base64.b64decode(r.json()["image"]))).convert("RGB")))
    return run


# ---- metrics -----------------------------------------------------------------------------------------------

def psnr(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> float:
    if not where.any():
        return float("nan")
    mse = float(((a.astype(np.float64) - b.astype(np.float64)) ** 2)[where].mean())
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def ssim_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    _, full = structural_similarity(a, b, channel_axis=2, data_range=255, full=True)
    return full.mean(2)


def mean_lab(img: np.ndarray, where: np.ndarray) -> np.ndarray:
    return rgb2lab(img[where][None].astype(np.float64) / 255.0)[0].mean(0)


def paired_metrics(result: np.ndarray, person: Sample) -> dict[str, float]:
    garment = np.isin(person.parse, GARMENT)
    outside = ~np.isin(person.parse, GARMENT_AND_ARMS)
    smap = ssim_map(result, person.image)
    return {
        "ssim_garment": float(smap[garment].mean()) if garment.any() else float("nan"),
        "psnr_outside": psnr(result, person.image, outside),
        "de2000": float(deltaE_ciede2000(mean_lab(result, garment), mean_lab(person.image, garment)))
        if garment.any() else float("nan"),
        "ssim_whole": float(smap.mean()),
    }


def unpaired_metrics(result: np.ndarray, person: Sample, garment: Sample) -> dict[str, float]:
    region = np.isin(person.parse, GARMENT)
    outside = ~np.isin(person.parse, GARMENT_AND_ARMS)
    new = mean_lab(garment.cloth, garment.cloth_mask > 127)
    old = mean_lab(person.image, region)
    lab = rgb2lab(result[region][None].astype(np.float64) / 255.0)[0]
    moved = np.linalg.norm(lab - new, axis=1) < np.linalg.norm(lab - old, axis=1)
    return {"psnr_outside": psnr(result, person.image, outside), "moved": float(moved.mean()) if len(lab) else float("nan")}


def _pairs(data: Path, name: str) -> list[tuple[str, str]]:
    lines = (data / name).read_text().split()
    return [(a.split("_")[0], b.split("_")[0]) for a, b in zip(lines[::2], lines[1::2])]


def evaluate(data: Path, methods: dict[str, Callable], scale: int) -> dict[str, dict[str, dict[str, float]]]:
    cache: dict[str, Sample] = {}

    def sample(pid: str) -> Sample:
        if pid not in cache:
            cache[pid] = Sample(data, pid, scale)
        return cache[pid]

    report: dict[str, dict[str, dict[str, float]]] = {}
    for setting, metric in (("paired", lambda r, p, g: paired_metrics(r, p)), ("unpaired", unpaired_metrics)):
        for method, run in methods.items():
            rows, failures = [], 0
            for pid, gid in _pairs(data, f"pairs_{setting}.txt"):
                person, garment = sample(pid), sample(gid)
                try:
                    result = run(person, garment)
                except Exception as exc:  # a refused pair counts as a failure, the rest still score
                    print(f"  {method} {setting} {pid}/{gid}: {type(exc).__name__}: {exc}", file=sys.stderr)
                    failures += 1
                    continue
                rows.append(metric(result, person, garment))
            agg = {k: float(np.nanmean([r[k] for r in rows])) for k in rows[0]} if rows else {}
            agg["n"] = len(rows)
            agg["failed"] = failures
            report.setdefault(setting, {})[method] = agg
    return report


def print_report(report: dict) -> None:
    for setting, methods in report.items():
        keys = [k for k in next(iter(methods.values())) if k not in ("n", "failed")]
        print(f"\n{setting}")
        print("| method | " + " | ".join(keys) + " | n | failed |")
        print("|---" * (len(keys) + 3) + "|")
        for method, agg in methods.items():
            cells = [f"{agg.get(k, float('nan')):.3f}" for k in keys]
            print(f"| {method} | " + " | ".join(cells) + f" | {agg['n']} | {agg['failed']} |")


# ---- committed pictures (licence-clean: the scikit-image astronaut and generated garments only) ---------

PICTURE_GARMENTS = (
    ("tshirt", (28, 36, 88), "plain"),
    ("long_sleeve", (200, 40, 50), "stripes"),
    ("tank_top", (240, 240, 235), "plain"),
    ("tshirt", (40, 120, 70), "print"),
)


def write_pictures(folder: Path) -> list[Path]:
    """Astronaut try-ons on varied framings (full 768x1024 portrait, mirrored, tighter crop) with generated
    garments, through the real Preprocessor + EmbeddedBackend; one JPEG per framing."""
    import cv2
    from skimage import data

    from server.catalog.generate import make_garment
    from server.pipeline.backends.embedded import EmbeddedBackend
    from server.pipeline.preprocess import Preprocessor

    big = cv2.resize(data.astronaut(), (1024, 1024), interpolation=cv2.INTER_CUBIC)
    framings = {
        "portrait": big[:, 128:896],
        "mirrored": big[:, 128:896][:, ::-1],
        "close": cv2.resize(data.astronaut()[40:512, 80:434], (768, 1024), interpolation=cv2.INTER_CUBIC),
    }
    pre, backend = Preprocessor(), EmbeddedBackend()
    garments = []
    for category, colour, pattern in PICTURE_GARMENTS:
        rgb, mask = make_garment(category, colour=colour, pattern=pattern)
        garments.append(GarmentAnalysis(image=rgb, mask=mask, category=category))
    folder.mkdir(parents=True, exist_ok=True)
    thumb = (192, 256)
    header = [np.full((thumb[1], thumb[0], 3), 255, np.uint8)] + [cv2.resize(g.image, thumb, interpolation=cv2.INTER_AREA)
                                                                for g in garments]
    rows = [np.concatenate(header, 1)]
    for name, photo in framings.items():
        person = pre.analyze_person(np.ascontiguousarray(photo))
        tiles = [cv2.resize(photo, thumb, interpolation=cv2.INTER_AREA)]
        for g in garments:
            tiles.append(cv2.resize(backend.try_on(person, g).image, thumb, interpolation=cv2.INTER_AREA))
        rows.append(np.concatenate(tiles, 1))
    pre.close()
    out = folder / "embedded_tryon.jpg"
    Image.fromarray(np.concatenate(rows, 0)).save(out, quality=85)
    # One full-resolution result, to judge edges and shading.
    person = Preprocessor().analyze_person(np.ascontiguousarray(framings["portrait"]))
    detail = folder / "embedded_tryon_detail.jpg"
    Image.fromarray(backend.try_on(person, garments[1]).image[96:736, 64:704]).save(detail, quality=85)
    return [out, detail]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("../shared/eval/viton_dev"))
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--pictures", type=Path, metavar="DIR",
                      help="write astronaut try-on pictures (no VITON images) to DIR, e.g. docs/images")
    mode.add_argument("--server", help="base URL of a running server, e.g. http://127.0.0.1:8000")
    mode.add_argument("--in-process", action="store_true", help="Preprocessor + EmbeddedBackend in this process")
    mode.add_argument("--gt-preprocess", action="store_true",
                      help="EmbeddedBackend on the dataset's parsing/pose/cloth-mask (ablation)")
    ap.add_argument("--parsers", nargs="+", choices=["learned", "heuristic"], default=["learned"],
                    help="with --in-process: one row per human parser, in the same run")
    ap.add_argument("--token", help="bearer token for --server, if the server requires one")
    ap.add_argument("--scale", type=int, default=4,
                    help="upscale inputs by this factor before the try-on (4: 768x1024, camera-like); "
                         "results are scored at the dataset's resolution")
    ap.add_argument("--no-baselines", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()

    if args.pictures:
        for path in write_pictures(args.pictures):
            print(path)
        return
    methods: dict[str, Callable] = {}
    if not args.no_baselines:
        methods["identity"] = identity
        methods["paste"] = crude_paste
    if args.server:
        methods["server"] = server_tryon(args.server, args.token)
    else:
        from server.pipeline.backends.embedded import EmbeddedBackend

        backend = EmbeddedBackend()
        if args.in_process:
            for parser in args.parsers:
                methods[f"embedded ({parser} parser)"] = in_process_tryon(backend, parser)
        else:
            methods["embedded (gt pose+parse)"] = gt_tryon(backend)
    report = evaluate(args.data, methods, args.scale)
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
