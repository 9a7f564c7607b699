"""ACGPN (Yang et al., "Towards Photo-Realistic Virtual Try-On by Adaptively Generating↔Preserving Image
Content", CVPR 2020) inference in our own PyTorch code, loading the authors' checkpoints.

Modules: `unet` (the Refine U-Net of G1, G2, G and U), `locnet` and `tps_grid` (U's STN), `warping` (U),
`checkpoints` (strict loading), `official_data` (the official data path), `noise`, `morphology`,
`model` (the forward of the official `Pix2PixHDModel.forward`), `compositing` (paste-back and 3:4 framing),
`__main__` (parity CLI). docs/acgpn.md describes the official code these follow.
"""
