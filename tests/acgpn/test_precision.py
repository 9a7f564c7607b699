"""Resolving server.acgpn.precision to 'bfloat16 after G1' or not."""
from __future__ import annotations

import pytest
import torch

from server.pipeline.acgpn import precision
from server.pipeline.acgpn.checkpoints import load_networks
from server.pipeline.acgpn.model import ACGPN, AcgpnInputs
from server.pipeline.acgpn.noise import request_noise
from server.pipeline.acgpn.precision import cpu_flags, use_bf16_after_g1
from server.pipeline.vocabulary import Acgpn, Coco18

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


@pytest.mark.slow
def test_bf16_after_g1_keeps_g1_and_the_warp_geometry_in_float32(seeded_checkpoints):
    m32 = ACGPN(load_networks(seeded_checkpoints))
    m16 = ACGPN(load_networks(seeded_checkpoints), bf16_after_g1=True)
    assert m16.dtype == torch.float32
    assert {p.dtype for p in (*m16.g1.parameters(), *m16.u.stn.parameters(), *m16.u.stn.buffers())} == {torch.float32}
    assert {p.dtype for net in (m16.g2, m16.g, m16.u.conv1, m16.u.conv9) for p in net.parameters()} == {torch.bfloat16}
    g = torch.Generator().manual_seed(0)
    label = torch.full((1, 1, 256, 192), float(Acgpn.BACKGROUND))
    label[:, :, 20:60, 70:120], label[:, :, 60:200, 40:150] = Acgpn.FACE, Acgpn.UPPER_CLOTHES
    label[:, :, 200:, 50:140] = Acgpn.PANTS
    edge = torch.zeros(1, 1, 256, 192)
    edge[:, :, 30:230, 30:160] = 1
    x = AcgpnInputs(label, torch.rand(1, 3, 256, 192, generator=g) * 2 - 1,
                    torch.rand(1, 3, 256, 192, generator=g) * 2 - 1, edge, -torch.ones(1, len(Coco18), 256, 192),
                    tuple(request_noise(0, 1)))
    with torch.inference_mode():
        a, b = m32(x), m16(x)
    torch.testing.assert_close(b.g1_sigmoid, a.g1_sigmoid, rtol=0, atol=0)   # G1 untouched
    assert b.output.dtype == torch.float32 and b.output.shape == a.output.shape
    assert b.output.abs().max() <= 1 and not torch.equal(b.output, a.output)  # G really ran in bfloat16
