"""ACGPN (Yang et al., CVPR 2020) inference in our own PyTorch code, loading the authors' checkpoints.

Modules: `unet` (the Refine U-Net of G1, G2, G and U), `locnet` and `tps_grid` (U's STN), `warping` (U),
`checkpoints` (strict loading), `official_data` (the official data path), `noise`, `morphology`,
`model` (the forward of spec §3.3–3.6), `compositing` (paste-back and 3:4 framing), `__main__` (parity CLI).
"""
