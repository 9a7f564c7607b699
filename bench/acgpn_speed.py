"""ACGPN per-image latency: our float32 path vs an official-style baseline, side by side.

    .venv/bin/python bench/acgpn_speed.py [--repeats 5] [--threads 0] [--device cpu]

Weights: the ACGPN parity kit's seeded checkpoints when the research-only data folder that CI provides
(`SHARED`) is present, else random weights from our own seeded recipe (torch.manual_seed(0) initialisation),
written to a temporary folder and loaded through the strict loader. Inputs: the kit's VITON sample pair when
available, else a synthetic person/garment.
Compute is the same for any weights, so latency does not depend on which weights are used.

Baseline ("official-style"): the same network classes and forward, the way the official test.py runs them:
eval mode, autograd on (no no_grad/inference_mode), float32, contiguous NCHW, same threads.
Ours, float32 (`precision: float32`): torch.inference_mode, intra-op threads = cores (or --threads),
contiguous NCHW (channels_last measured slower here). Ours, production default (`precision: auto`, which
is bfloat16 after G1 on this AMX CPU): G2, U's refinement U-Net and G stored and run in bfloat16; G1, the
loc-net and the TPS grid in float32. Each variant has its own model; they are timed interleaved and both
wall-clock and process CPU time are reported (the machine may be shared).
Ours are checked to agree with the baseline within the parity kit's float32 tolerance (the tier judges up
to G1: g1_sigmoid ≤ 1e-4, Lp ≥ 99.9 %).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from server.pipeline.acgpn.checkpoints import CHECKPOINT_FILES, build_network, load_networks
from server.pipeline.acgpn.model import ACGPN, AcgpnInputs, AcgpnOutputs
from server.pipeline.acgpn.noise import request_noise
from server.pipeline.acgpn.precision import use_bf16_after_g1
from server.pipeline.vocabulary import Acgpn, Coco18

# The ACGPN parity kit (seeded-weights recipe, state_dict manifest, VITON sample pairs): research-only data,
# not in the repository.
SHARED = REPO.parent / "shared" / "acgpn"
# Where the synthetic person's keypoints are drawn, (y, x) in 256×192; (0, 0) = not seen.
SYNTHETIC_POSE = {
    Coco18.NOSE: (40, 96), Coco18.NECK: (70, 96), Coco18.R_SHOULDER: (75, 60), Coco18.R_ELBOW: (120, 40),
    Coco18.R_WRIST: (160, 30), Coco18.L_SHOULDER: (75, 130), Coco18.L_ELBOW: (120, 150),
    Coco18.L_WRIST: (160, 160), Coco18.R_HIP: (190, 75), Coco18.R_KNEE: (230, 75), Coco18.R_ANKLE: (0, 0),
    Coco18.L_HIP: (190, 120), Coco18.L_KNEE: (230, 120), Coco18.L_ANKLE: (0, 0), Coco18.R_EYE: (35, 88),
    Coco18.L_EYE: (35, 104), Coco18.R_EAR: (40, 80), Coco18.L_EAR: (40, 112),
}


def write_checkpoints(folder: Path) -> str:
    """Seeded weights into `folder`; returns where they came from."""
    kit = SHARED / "parity" / "seeded_weights.py"
    if kit.is_file():
        spec = importlib.util.spec_from_file_location("seeded_weights", kit)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {kit}")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        manifest = json.loads((SHARED / "state_dict_manifest.json").read_text())["checkpoints"]
        for file, entry in manifest.items():
            torch.save(mod.seeded_state_dict(entry["state_dict"], "acgpn-parity-v1", file), folder / file)
        return "parity kit seeded weights (seed acgpn-parity-v1)"
    torch.manual_seed(0)
    for file, name in CHECKPOINT_FILES.items():
        torch.save(build_network(name).state_dict(), folder / file)
    return "random weights (torch.manual_seed(0) default init)"


def make_inputs() -> tuple[AcgpnInputs, str]:
    if (SHARED / "samples" / "viton").is_dir():
        from server.pipeline.acgpn.official_data import load_official_sample

        s = load_official_sample(SHARED / "samples" / "viton", "000038_0.jpg", "000010_1.jpg")
        inputs = AcgpnInputs(s.label, s.image, s.color, s.edge, s.pose, request_noise(0, 1))
        return inputs, "VITON 000038_0 x 000010_1"
    h, w = 256, 192
    label = torch.full((1, 1, h, w), float(Acgpn.BACKGROUND))
    label[:, :, 20:60, 70:120], label[:, :, 60:200, 40:150] = Acgpn.FACE, Acgpn.UPPER_CLOTHES
    label[:, :, 70:180, 20:40], label[:, :, 70:180, 150:170] = Acgpn.LEFT_ARM, Acgpn.RIGHT_ARM
    label[:, :, 200:256, 50:140] = Acgpn.PANTS
    g = torch.Generator().manual_seed(0)
    image = torch.rand(1, 3, h, w, generator=g) * 2 - 1
    color = torch.rand(1, 3, h, w, generator=g) * 2 - 1
    edge = torch.zeros(1, 1, h, w)
    edge[:, :, 30:230, 30:160] = 1
    pose = -torch.ones(1, len(Coco18), h, w)
    for k, (y, x) in SYNTHETIC_POSE.items():
        if y:
            pose[0, k, y - 5:y + 6, x - 5:x + 6] = 1
    return AcgpnInputs(label, image, color, edge, pose, request_noise(0, 1)), "synthetic"


def machine() -> str:
    lines = [f"python {platform.python_version()}, torch {torch.__version__}, numpy {np.__version__}",
             f"os.cpu_count()={os.cpu_count()}, torch threads={torch.get_num_threads()}, "
             f"mkldnn={torch.backends.mkldnn.is_available()}"]
    try:
        import subprocess

        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        keep = ("Model name", "CPU(s):", "Thread(s) per core", "Flags")
        for line in lscpu.splitlines():
            if line.startswith(keep[:3]):
                lines.append(line.strip())
            elif line.startswith("Flags"):
                flags = set(line.split(":", 1)[1].split())
                isa = ("avx2", "avx512f", "avx512_bf16", "amx_tile")
                lines.append("ISA: " + " ".join(f for f in isa if f in flags))
    except OSError:
        pass
    if torch.cuda.is_available():
        lines.append(f"GPU: {torch.cuda.get_device_name(0)}")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0, help="intra-op threads for our path; 0 = cores")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()

    torch.set_num_threads(args.threads or os.cpu_count() or 1)
    device = torch.device(args.device)
    auto_bf16 = use_bf16_after_g1("auto", device)
    with tempfile.TemporaryDirectory() as tmp:
        source = write_checkpoints(Path(tmp))
        inputs, which = make_inputs()
        # One model per variant (the bf16 one converts its late U-Nets); timed interleaved (A, B, C, A, ...):
        # on a shared machine the load changes from second to second.
        model32 = ACGPN(load_networks(tmp)).to(device)
        model_auto = ACGPN(load_networks(tmp), bf16_after_g1=auto_bf16).to(device)
    outs: dict[str, AcgpnOutputs] = {}

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    def run_baseline():
        with torch.enable_grad():  # as the official test.py: parameters track gradients, no no_grad
            outs["base"] = model32(inputs)
        sync()

    def run_float32():
        with torch.inference_mode():
            outs["float32"] = model32(inputs)
        sync()

    def run_auto():
        with torch.inference_mode():
            outs["auto"] = model_auto(inputs)
        sync()

    variants = {"base": run_baseline, "float32": run_float32, "auto": run_auto}
    wall: dict[str, list[float]] = {k: [] for k in variants}
    cpu: dict[str, list[float]] = {k: [] for k in variants}
    for fn in variants.values():
        fn()  # warm-up (allocations, oneDNN primitives)
    for _ in range(args.repeats):
        for k, fn in variants.items():
            t, c = time.perf_counter(), time.process_time()
            fn()
            wall[k].append(time.perf_counter() - t)
            cpu[k].append(time.process_time() - c)

    base = outs["base"]
    print(machine())
    print(f"device: {device}; weights: {source}; inputs: {which}; repeats: {args.repeats} (+1 warm-up); "
          f"precision auto -> {'bfloat16' if auto_bf16 else 'float32'} after G1")
    labels = {"base": "official-style baseline", "float32": "ours, precision float32",
              "auto": "ours, precision auto (default)"}
    med = {k: statistics.median(v) for k, v in wall.items()}
    for k in variants:
        print(f"{labels[k]:31s}: wall median {med[k] * 1000:6.0f} ms, best {min(wall[k]) * 1000:6.0f} ms; "
              f"CPU median {statistics.median(cpu[k]) * 1000:6.0f} ms  (wall runs: "
              + ", ".join(f"{t * 1000:.0f}" for t in wall[k]) + ")")
    ok = True
    for k in ("float32", "auto"):
        o = outs[k]
        g1_diff = (base.g1_sigmoid.detach() - o.g1_sigmoid).abs().max().item()
        lp_equal = (base.lp == o.lp).float().mean().item()
        within = g1_diff <= 1e-4 and lp_equal >= 0.999
        ok &= within
        cpu_ratio = statistics.median(cpu["base"]) / statistics.median(cpu[k])
        print(f"{labels[k]}: speed-up wall median {med['base'] / med[k]:.2f}x, best "
              f"{min(wall['base']) / min(wall[k]):.2f}x, CPU time {cpu_ratio:.2f}x; "
              f"g1_sigmoid max |d| {g1_diff:.2e}, Lp equal {100 * lp_equal:.3f}% -> "
              f"{'within' if within else 'OUTSIDE'} the float32 parity tolerance; output max |d| "
              f"{(base.output.detach() - o.output).abs().max().item():.3f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
