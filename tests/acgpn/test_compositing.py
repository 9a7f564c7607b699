"""3:4 framing and full-resolution paste-back."""
from __future__ import annotations

import numpy as np

from server.pipeline.acgpn.compositing import Frame, crop, frame_person, paste_back_full_res
from server.pipeline.vocabulary import ACGPN_CLASSES, Acgpn, Coco18


def _person(h=900, w=1600):
    mask = np.zeros((h, w), np.float32)
    mask[100:850, 700:950] = 1  # a standing person in a wide photo
    kp = np.zeros((len(Coco18), 3), np.float32)
    kp[Coco18.R_KNEE] = (760, 650, 0.9)
    kp[Coco18.L_KNEE] = (890, 655, 0.9)
    return mask, kp


def test_frame_is_three_by_four_and_contains_the_person_down_to_the_knees():
    mask, kp = _person()
    f = frame_person(mask, kp)
    assert abs(f.width / f.height - 0.75) < 0.01
    assert f.x0 <= 700 and f.x1 >= 950 and f.y0 <= 100 and f.y1 >= 655
    assert f.y1 < 850  # cut near the knees, like VITON


def test_frame_past_the_photo_edge_is_padded():
    img = np.arange(12, dtype=np.uint8).reshape(3, 4)
    out = crop(img, Frame(-1, 0, 3, 4), border=0)
    assert out.shape == (4, 3)
    np.testing.assert_array_equal(out[:3, 1:], img[:, :2])
    assert out[:, 0].sum() == 0 and out[3].sum() == 0


def test_paste_back_keeps_untouched_regions_and_inserts_the_result_elsewhere():
    h, w = 800, 600
    photo = np.full((h, w, 3), 40, np.uint8)
    labels = np.full((h, w), Acgpn.BACKGROUND, np.uint8)
    labels[100:250, 250:350] = Acgpn.FACE
    labels[250:700, 150:450] = Acgpn.UPPER_CLOTHES  # old shirt
    result = np.full((256, 192, 3), 200, np.uint8)
    layout = np.full((256, 192), Acgpn.BACKGROUND, np.uint8)
    layout[80:224, 48:144] = Acgpn.UPPER_CLOTHES  # new garment
    layout[32:80, 80:112] = Acgpn.FACE
    frame = Frame(0, 0, w, h)
    out = paste_back_full_res(photo, labels, frame, result, layout)
    assert out.shape == photo.shape
    assert (out[150, 300] == 40).all()  # face centre: the shopper's own pixels
    assert (out[450, 300] == 200).all()  # garment centre: the generated pixels
    raw = paste_back_full_res(photo, labels, frame, result, layout, paste_untouched=False)
    assert (raw[150, 300] == 200).all()


def test_pixels_outside_the_frame_are_the_photo():
    photo = np.random.default_rng(0).integers(0, 255, (400, 900, 3), dtype=np.uint8)
    labels = np.full((400, 900), Acgpn.BACKGROUND, np.uint8)
    out = paste_back_full_res(photo, labels, Frame(300, -20, 300, 400), np.zeros((256, 192, 3), np.uint8),
                              np.full((256, 192), Acgpn.UPPER_CLOTHES, np.uint8))
    np.testing.assert_array_equal(out[:, :300], photo[:, :300])
    np.testing.assert_array_equal(out[:, 600:], photo[:, 600:])
    assert (out[100:300, 350:550] == 0).all()


def test_network_resolution_paste_back_keeps_agreeing_untouched_pixels():
    import torch

    from server.pipeline.acgpn.compositing import paste_back_network_res
    from server.pipeline.acgpn.model import AcgpnOutputs

    b, h, w = 1, 256, 192
    label = torch.full((b, 1, h, w), float(Acgpn.BACKGROUND))
    label[..., 20:60, 70:120] = Acgpn.FACE
    label[..., 60:200, 40:150] = Acgpn.UPPER_CLOTHES  # old shirt
    lf = label.long().clone()
    md = torch.zeros(b, 1, h, w)
    md[..., 60:200, 40:150] = 1  # the new garment where the old shirt was
    lf[md > 0] = Acgpn.BACKGROUND
    zeros = torch.zeros(b, 3, h, w)
    out = AcgpnOutputs(g1_sigmoid=torch.zeros(b, ACGPN_CLASSES, h, w), lp=lf, mc=md, md=md, lf=lf, warped_cloth=zeros,
                       warped_mask=md, cref=zeros, output=torch.full((b, 3, h, w), 0.5))
    image = torch.full((b, 3, h, w), -0.5)
    got = paste_back_network_res(out, image, label)
    assert torch.allclose(got[0, :, 40, 95], torch.tensor(-0.5))  # face interior: the person's pixels
    assert torch.allclose(got[0, :, 130, 95], torch.tensor(0.5))  # new garment: generated
