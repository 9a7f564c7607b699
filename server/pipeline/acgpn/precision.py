"""Which numeric precision runs the networks after G1 (config `server.acgpn.precision`).

G1 (the parsing), the loc-net and the TPS grid always run in the model's dtype; "bfloat16" runs G2, U's
refinement U-Net and G in bfloat16 (weights converted once). That pays off where the hardware computes
bfloat16 natively: Intel AMX / AVX512-BF16 CPUs (through oneDNN) and CUDA GPUs that support it. Elsewhere
it is emulated (no gain expected, only the rounding), so "auto" picks bfloat16 only on such hardware.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

import torch

Precision = Literal["auto", "float32", "bfloat16"]
BF16_CPU_FLAGS = frozenset({"amx_bf16", "avx512_bf16"})


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The CPU feature flags the kernel reports (empty where /proc/cpuinfo does not exist).

    torch.backends.cpu.get_cpu_capability() is not enough: it says "AVX512" on AMX machines too."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def native_bf16(device: torch.device) -> bool:
    """True where bfloat16 convolutions run natively (and so faster than float32) on `device`."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return torch.backends.mkldnn.is_available() and bool(cpu_flags() & BF16_CPU_FLAGS)
    return False


def use_bf16_after_g1(precision: Precision, device: torch.device) -> bool:
    """Resolve the config value for `device`: "auto" → bfloat16 only with native support."""
    if precision == "auto":
        return native_bf16(device)
    return precision == "bfloat16"
