"""Try-on quality on pairs in VITON layout (image/, image-parse/, pose/, cloth/, cloth-mask/, pairs_*.txt).

    .venv/bin/python bench/eval_quality.py --data ../shared/eval/viton_dev --server http://127.0.0.1:8000
    .venv/bin/python bench/eval_quality.py --data ../shared/eval/viton_dev --in-process --backends learned embedded
    .venv/bin/python bench/eval_quality.py --validation 100 --in-process --backends learned embedded
    .venv/bin/python bench/eval_quality.py --data ../shared/eval/viton_dev --gt-preprocess
    .venv/bin/python bench/eval_quality.py --pictures docs/images --backends learned embedded  # for docs/

--server posts each pair to POST /v1/tryon (person_image + garment_image as base64); --in-process runs
Preprocessor + the backends here (a row per backend and per parser: --backends learned embedded, --parsers
learned heuristic); --gt-preprocess skips our preprocessing and builds PersonAnalysis from the dataset's own
parsing (LIP) and OpenPose keypoints and the garment from cloth-mask (an ablation that separates warp/compose
quality from pose/parsing quality). --validation N scores the first N validation ids of the training split
(server/train/viton.py) instead of a folder.

Paired (each person with the garment they wear: the photo is the ground truth):
  ssim_garment   SSIM averaged inside the garment region (LIP 5, 6, 7 of the ground-truth parse)
  psnr_outside   PSNR outside garment + arms (LIP upper clothes, dress, coat, arms): untouched regions stay untouched
  de2000         CIEDE2000 between the mean Lab colour of the garment region in result and photo
  ssim_whole     whole-image SSIM (misleading on its own: see the identity and paste baselines)
Unpaired (another person's garment):
  psnr_outside   as above, against the input photo
  moved          share of the original garment region whose colour is nearer (Lab) to the new garment's mean
                 colour than to the old garment's

Two baselines run on the same pairs: identity (the photo sent back) and paste (the garment photo resized
into the bounding box of the upper-clothes region). VITON images are research-only: this script prints
numbers, and writes images only where --sheet says (a path outside the repository).
"""
from __future__ import annotations

import argparse
import base64
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image
from skimage.color import deltaE_ciede2000, rgb2lab
from skimage.metrics import structural_similarity

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.pipeline.types import GarmentAnalysis, PersonAnalysis
from server.pipeline.vocabulary import LIP_ARMS, LIP_CLOTHES, Coco18, GarmentCategory, Lip

GARMENT = LIP_CLOTHES
GARMENT_AND_ARMS = (*LIP_CLOTHES, *LIP_ARMS)

TryOn = Callable[[np.ndarray, np.ndarray, "Sample", "Sample"], np.ndarray]


class Sample:
    """One VITON id: the person photo, parse, keypoints, and the garment photo + mask with that id."""

    def __init__(self, pid: str, image: np.ndarray, parse: np.ndarray, keypoints: np.ndarray, cloth: np.ndarray,
                 cloth_mask: np.ndarray, scale: int) -> None:
        self.pid, self.image, self.parse, self.keypoints = pid, image, parse, keypoints
        self.cloth, self.cloth_mask, self.scale = cloth, cloth_mask, scale

    @classmethod
    def from_folder(cls, data: Path, pid: str, scale: int) -> Sample:
        """From a folder in VITON test layout (../shared/eval/viton_dev)."""
        pose = json.loads((data / "pose" / f"{pid}_0_keypoints.json").read_text())["people"][0]
        mask = np.array(Image.open(data / "cloth-mask" / f"{pid}_1.jpg").convert("L")) > 127
        return cls(pid, _load_rgb(data / "image" / f"{pid}_0.jpg"),
                   np.array(Image.open(data / "image-parse" / f"{pid}_0.png")),  # raw palette indices = LIP
                   np.array(pose["pose_keypoints"], np.float32).reshape(len(Coco18), 3),
                   _load_rgb(data / "cloth" / f"{pid}_1.jpg"),
                   np.where(mask, 255, 0).astype(np.uint8), scale)

    @classmethod
    def from_training_split(cls, viton, masks: np.ndarray, poses: np.ndarray, pid: str, scale: int) -> Sample:
        """From the VITON training split's zips (a validation id: never trained on)."""
        row = viton.ids.index(pid)
        return cls(pid, viton.person(pid), viton.parse(pid), poses[row], viton.garment(pid),
                   np.where(masks[row], 255, 0).astype(np.uint8), scale)

    def up(self, img: np.ndarray, nearest: bool = False) -> np.ndarray:
        """The array at the evaluation working scale (camera-like resolution for scale 4)."""
        if self.scale == 1:
            return img
        h, w = img.shape[:2]
        return np.array(Image.fromarray(img).resize((w * self.scale, h * self.scale),
                                                    Image.Resampling.NEAREST if nearest else Image.Resampling.BICUBIC))

    def down(self, img: np.ndarray) -> np.ndarray:
        h, w = self.image.shape[:2]
        return img if img.shape[:2] == (h, w) else np.array(Image.fromarray(img).resize((w, h), Image.Resampling.BOX))


def _load_rgb(path: Path) -> np.ndarray:
    return np.array(Image.open(path).convert("RGB"))


# ---- ways to produce a try-on ------------------------------------------------------------------------------

def identity(person: Sample, garment: Sample) -> np.ndarray:
    return person.image


def crude_paste(person: Sample, garment: Sample) -> np.ndarray:
    """The garment photo squeezed into the upper-clothes bounding box (what whole-image SSIM rewards)."""
    out = person.image.copy()
    ys, xs = np.nonzero(person.parse == Lip.UPPER_CLOTHES)
    if len(ys) == 0:
        return out
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    cys, cxs = np.nonzero(garment.cloth_mask)
    crop = (slice(cys.min(), cys.max() + 1), slice(cxs.min(), cxs.max() + 1))
    rgb = np.array(Image.fromarray(garment.cloth[crop]).resize((x1 - x0, y1 - y0), Image.Resampling.BILINEAR))
    small_mask = Image.fromarray(garment.cloth_mask[crop]).resize((x1 - x0, y1 - y0), Image.Resampling.NEAREST)
    mask = np.array(small_mask) > 127
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
                            category=GarmentCategory.TSHIRT)
        return person.down(backend.try_on(analysis, g).image)
    return run


def in_process_tryons(backends: dict[str, object], parser: str) -> dict[str, Callable[[Sample, Sample], np.ndarray]]:
    """One method per backend, on one Preprocessor with `parser`; each photo and garment is analysed once."""
    from common.config.server import PreprocessConfig
    from server.pipeline.preprocess import Preprocessor

    pre = Preprocessor(PreprocessConfig(parser=parser))
    people: dict[str, PersonAnalysis] = {}
    garments: dict[str, GarmentAnalysis] = {}

    def method(backend) -> Callable[[Sample, Sample], np.ndarray]:
        def run(person: Sample, garment: Sample) -> np.ndarray:
            if person.pid not in people:
                people[person.pid] = pre.analyze_person(person.up(person.image), category=GarmentCategory.TSHIRT)
            if garment.pid not in garments:
                garments[garment.pid] = pre.analyze_garment(garment.up(garment.cloth), category=GarmentCategory.TSHIRT)
            return person.down(backend.try_on(people[person.pid], garments[garment.pid]).image)
        return run
    return {f"{name} ({parser} parser)": method(backend) for name, backend in backends.items()}


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
    return {"psnr_outside": psnr(result, person.image, outside),
            "moved": float(moved.mean()) if len(lab) else float("nan")}


def _pairs(data: Path, name: str) -> list[tuple[str, str]]:
    lines = (data / name).read_text().split()
    return [(a.split("_")[0], b.split("_")[0]) for a, b in zip(lines[::2], lines[1::2])]


def folder_pairs(data: Path) -> dict[str, list[tuple[str, str]]]:
    return {setting: _pairs(data, f"pairs_{setting}.txt") for setting in ("paired", "unpaired")}


def validation_pairs(count: int) -> tuple[dict[str, list[tuple[str, str]]], Callable[[str, int], Sample]]:
    """The first `count` ids of the training split's validation ids (server.train.viton: never trained on):
    each with its own garment, and each with the next one's garment; and a loader of those ids."""
    from server.train.tryon_cache import garment_masks
    from server.train.viton import DEFAULT_ROOT, VitonTrain

    viton = VitonTrain(DEFAULT_ROOT)
    masks, poses = garment_masks(DEFAULT_ROOT), np.load(DEFAULT_ROOT / "pose.npz")["keypoints"]
    ids = viton.val_ids[:count]
    pairs = {"paired": [(i, i) for i in ids], "unpaired": list(zip(ids, ids[1:] + ids[:1]))}
    return pairs, lambda pid, scale: Sample.from_training_split(viton, masks, poses, pid, scale)


def evaluate(pairs: dict[str, list[tuple[str, str]]], load: Callable[[str, int], Sample], methods: dict[str, Callable],
             scale: int, sheet: Path | None = None) -> dict[str, dict[str, dict[str, float]]]:
    """Figures per setting and method; with `sheet`, also a contact sheet there (a row per pair: photo,
    garment, each method's result)."""
    cache: dict[str, Sample] = {}
    tiles: dict[tuple[str, str, str], list[np.ndarray]] = {}

    def sample(pid: str) -> Sample:
        if pid not in cache:
            cache[pid] = load(pid, scale)
        return cache[pid]

    report: dict[str, dict[str, dict[str, float]]] = {}
    for setting, metric in (("paired", lambda r, p, g: paired_metrics(r, p)), ("unpaired", unpaired_metrics)):
        for method, run in methods.items():
            rows, failures = [], 0
            for pid, gid in pairs[setting]:
                person, garment = sample(pid), sample(gid)
                try:
                    result = run(person, garment)
                except Exception as exc:  # a refused pair counts as a failure, the rest still score
                    print(f"  {method} {setting} {pid}/{gid}: {type(exc).__name__}: {exc}", file=sys.stderr)
                    failures += 1
                    continue
                rows.append(metric(result, person, garment))
                if sheet is not None:
                    tiles.setdefault((setting, pid, gid), [person.image, garment.cloth]).append(result)
            agg = {k: float(np.nanmean([r[k] for r in rows])) for k in rows[0]} if rows else {}
            agg["n"] = len(rows)
            agg["failed"] = failures
            report.setdefault(setting, {})[method] = agg
    if sheet is not None:
        width = max(len(pictures) for pictures in tiles.values())
        strips = [np.concatenate(pictures + [np.zeros_like(pictures[0])] * (width - len(pictures)), 1)
                  for pictures in tiles.values()]
        Image.fromarray(np.concatenate(strips, 0)).save(sheet, quality=90)
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
    (GarmentCategory.TSHIRT, (28, 36, 88), "plain"),
    (GarmentCategory.LONG_SLEEVE, (200, 40, 50), "stripes"),
    (GarmentCategory.TANK_TOP, (240, 240, 235), "plain"),
    (GarmentCategory.TSHIRT, (40, 120, 70), "print"),
)


def write_pictures(folder: Path, backend_name: str) -> list[Path]:
    """Astronaut try-ons on varied framings (full 768x1024 portrait, mirrored, tighter crop) with generated
    garments, through the real Preprocessor + the backend: `<backend>_tryon.jpg` (a row per framing) and
    `<backend>_tryon_detail.jpg` (one result at full resolution)."""
    import cv2
    from skimage import data

    from server.catalog.generate import make_garment
    from server.pipeline.preprocess import Preprocessor

    big = cv2.resize(data.astronaut(), (1024, 1024), interpolation=cv2.INTER_CUBIC)
    framings = {
        "portrait": big[:, 128:896],
        "mirrored": big[:, 128:896][:, ::-1],
        "close": cv2.resize(data.astronaut()[40:512, 80:434], (768, 1024), interpolation=cv2.INTER_CUBIC),
    }
    pre, backend = Preprocessor(), _backend(backend_name)
    garments = []
    for category, colour, pattern in PICTURE_GARMENTS:
        rgb, mask = make_garment(category, colour=colour, pattern=pattern)
        garments.append(GarmentAnalysis(image=rgb, mask=mask, category=category))
    folder.mkdir(parents=True, exist_ok=True)
    thumb = (192, 256)
    header = [np.full((thumb[1], thumb[0], 3), 255, np.uint8)]
    header += [cv2.resize(g.image, thumb, interpolation=cv2.INTER_AREA) for g in garments]
    rows = [np.concatenate(header, 1)]
    for photo in framings.values():
        person = pre.analyze_person(np.ascontiguousarray(photo))
        tiles = [cv2.resize(photo, thumb, interpolation=cv2.INTER_AREA)]
        for g in garments:
            tiles.append(cv2.resize(backend.try_on(person, g).image, thumb, interpolation=cv2.INTER_AREA))
        rows.append(np.concatenate(tiles, 1))
    pre.close()
    out = folder / f"{backend_name}_tryon.jpg"
    Image.fromarray(np.concatenate(rows, 0)).save(out, quality=85)
    # One full-resolution result, to judge edges and shading.
    person = Preprocessor().analyze_person(np.ascontiguousarray(framings["portrait"]))
    detail = folder / f"{backend_name}_tryon_detail.jpg"
    Image.fromarray(backend.try_on(person, garments[1]).image[96:736, 64:704]).save(detail, quality=85)
    return [out, detail]


def _backend(name: str, learned_weights: Path | None = None):
    from server.pipeline.backends.embedded import EmbeddedBackend
    from server.pipeline.backends.learned import LearnedBackend

    return LearnedBackend(learned_weights) if name == "learned" else EmbeddedBackend()


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
    ap.add_argument("--backends", nargs="+", choices=["learned", "embedded"], default=["embedded"],
                    help="with --in-process: one row per try-on backend, in the same run; with --pictures: "
                         "pictures of each")
    ap.add_argument("--validation", type=int, metavar="N",
                    help="instead of --data: the first N validation ids of the training split (paired, and each "
                         "with the next one's garment)")
    ap.add_argument("--learned-weights", type=Path, help="the learned backend's weights (default: the shipped ones)")
    ap.add_argument("--sheet", type=Path, metavar="JPG",
                    help="also write a contact sheet of every pair's results here, to look at (VITON images are "
                         "research-only: keep it out of the repository)")
    ap.add_argument("--token", help="bearer token for --server, if the server requires one")
    ap.add_argument("--scale", type=int, default=4,
                    help="upscale inputs by this factor before the try-on (4: 768x1024, camera-like); "
                         "results are scored at the dataset's resolution")
    ap.add_argument("--no-baselines", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()

    if args.pictures:
        for name in args.backends:
            for path in write_pictures(args.pictures, name):
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

        if args.in_process:
            backends = {name: _backend(name, args.learned_weights) for name in args.backends}
            for parser in args.parsers:
                methods.update(in_process_tryons(backends, parser))
        else:
            methods["embedded (gt pose+parse)"] = gt_tryon(EmbeddedBackend())
    if args.validation:
        pairs, load = validation_pairs(args.validation)
    else:
        pairs, load = folder_pairs(args.data), lambda pid, scale: Sample.from_folder(args.data, pid, scale)
    report = evaluate(pairs, load, methods, args.scale, args.sheet)
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
