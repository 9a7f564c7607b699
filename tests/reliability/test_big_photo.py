"""A legal but huge photo (a 1 MB JPEG of 39.9 MP, inside max_pixels and max_body_mb) against a real server
process: it used to cost 26 s of CPU and +4.3 GB of memory per worker; now it is decoded at reduced size
and capped at limits.max_side."""
from __future__ import annotations

import base64
import io

import pytest
import requests
from PIL import Image

from tests.reliability.servers import (
    ServerProcess,
    big_phone_jpeg,
    request_cost,
    small_person_jpeg,
    tryon_payload,
    write_config,
)

pytestmark = pytest.mark.slow


def test_a_40_mp_photo_costs_at_most_2_s_and_500_mb(tmp_path):
    photo = big_phone_jpeg()
    with Image.open(io.BytesIO(photo)) as image:
        assert image.width * image.height > 39_000_000 and len(photo) < 2_000_000
    server = ServerProcess(write_config(tmp_path, {}))  # the shipped limits: 40 MP, 20 MB, max_side 1536
    with server:
        server.wait_ready()
        garment_id = requests.get(server.url + "/v1/garments", timeout=10).json()["garments"][0]["id"]
        for _ in range(2):  # warm: first-request costs are not the photo's
            requests.post(server.url + "/v1/tryon", json=tryon_payload(small_person_jpeg((768, 1024)), garment_id),
                          timeout=120).raise_for_status()
        cost = request_cost(server.pid, lambda: requests.post(
            server.url + "/v1/tryon", json=tryon_payload(photo, garment_id), timeout=120))
    print(f"\n40 MP photo: {cost['cpu_s']:.2f} s CPU, {cost['wall_s']:.2f} s wall, "
          f"peak RSS +{cost['peak_rss_rise_mb']:.0f} MB")
    assert cost["status"] == 200, cost["response"].text
    result = Image.open(io.BytesIO(base64.b64decode(cost["response"].json()["image"])))
    assert result.size == (1536, 1152)  # scaled to limits.max_side, as the API document says
    assert cost["cpu_s"] <= 2.0
    assert cost["peak_rss_rise_mb"] <= 500
