"""Resolving server.acgpn.precision to 'bfloat16 after G1' or not."""
from __future__ import annotations

import torch

from server.pipeline.acgpn import precision
from server.pipeline.acgpn.precision import cpu_flags, use_bf16_after_g1

CPU = torch.device("cpu")


def test_cpu_flags_are_read_from_the_flags_line(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nmodel name\t: X\nflags\t\t: fpu avx2 avx512f amx_bf16 amx_tile\n")
    assert {"avx2", "amx_bf16"} <= cpu_flags(info)
    assert cpu_flags(tmp_path / "missing") == frozenset()


def test_explicit_settings_win():
    assert use_bf16_after_g1("bfloat16", CPU) is True
    assert use_bf16_after_g1("float32", CPU) is False


def test_auto_follows_native_bf16_support(monkeypatch):
    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset({"avx2", "avx512_bf16"}))
    assert use_bf16_after_g1("auto", CPU) is torch.backends.mkldnn.is_available()
    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset({"avx2", "avx512f"}))
    assert use_bf16_after_g1("auto", CPU) is False
