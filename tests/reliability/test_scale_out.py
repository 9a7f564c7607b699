"""Two stateless replicas behind the shipped nginx config on loopback; one is killed mid-run and no kiosk
request fails (nginx retries on the other replica; the kiosk client retries what nginx could not)."""
from __future__ import annotations

import re
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import yaml
from PIL import Image

from common.config.kiosk import ClientConfig
from kiosk.client import TryOnClient
from tests.conftest import person_photo_768x1024
from tests.reliability.servers import REPO, NginxProcess, ServerProcess, render_nginx_conf, write_config

KIOSKS = 3
TRYONS_PER_KIOSK = 8
KILL_AFTER = 6  # completed try-ons before replica A dies

needs_nginx = pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (apt install nginx)")


def test_nginx_body_limit_matches_the_server_limit(tmp_path):
    shipped = yaml.safe_load((REPO / "config.yaml").read_text())["server"]["limits"]["max_body_mb"]
    conf = (REPO / "nginx" / "fitting-booth.conf").read_text()
    assert re.search(r"client_max_body_size\s+(\d+)m;", conf).group(1) == f"{shipped:g}"
    rendered = render_nginx_conf(["127.0.0.1:1", "127.0.0.1:2"], 8080, tmp_path)
    for directive in ("least_conn;", "max_fails=1 fail_timeout=10s", "non_idempotent", "proxy_read_timeout 45s;",
                      "proxy_max_temp_file_size 0;"):
        assert directive in rendered


@needs_nginx
def test_shipped_nginx_config_passes_nginx_t(tmp_path):
    NginxProcess(["127.0.0.1:9"], tmp_path / "nginx")  # writes the config
    import subprocess

    result = subprocess.run(["nginx", "-t", "-p", str(tmp_path / "nginx"), "-e", str(tmp_path / "nginx" / "error.log"),
                             "-c", str(tmp_path / "nginx" / "nginx.conf")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def small_photo():
    return np.asarray(Image.fromarray(person_photo_768x1024()).resize((192, 256)))


@needs_nginx
@pytest.mark.slow
def test_replica_killed_mid_run_loses_no_kiosk_request(tmp_path, small_photo):
    replicas = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        replicas.append(ServerProcess(write_config(tmp_path / name, {}), log_path=tmp_path / f"{name}.log"))
    for replica in replicas:
        replica.start()
    nginx = None
    try:
        for replica in replicas:
            replica.wait_ready()
        nginx = NginxProcess([f"127.0.0.1:{r.port}" for r in replicas], tmp_path / "nginx").start()
        client_config = ClientConfig(server_urls=[nginx.url], retries=3, backoff_s=0.2, read_timeout_s=60)
        garment_id = TryOnClient(client_config).garments()[0].id

        done = 0
        done_lock = threading.Lock()
        killed = threading.Event()

        def kiosk(k: int) -> list[str]:
            client = TryOnClient(client_config)
            served = []
            for i in range(TRYONS_PER_KIOSK):
                reply = client.try_on(small_photo, garment_id, request_id=f"kiosk{k}-{i}")
                assert reply.image.shape == (256, 192, 3)
                served.append(reply.request_id)
                nonlocal done
                with done_lock:
                    done += 1
                    if done == KILL_AFTER and not killed.is_set():
                        replicas[0].kill()  # mid-run: other kiosks have try-ons in flight on it
                        killed.set()
            client.close()
            return served

        with ThreadPoolExecutor(KIOSKS) as pool:
            results = [f.result() for f in [pool.submit(kiosk, k) for k in range(KIOSKS)]]  # raises on any failure
        assert killed.is_set()
        assert sum(len(r) for r in results) == KIOSKS * TRYONS_PER_KIOSK

        # "POST /v1/tryon 200 upstream=A, B upstream_status=502, 200": the first try failed, B answered.
        log = [line for line in nginx.access_log() if "/v1/tryon" in line]
        hops = [re.search(r"upstream=(.*) upstream_status=(.*)$", line).groups() for line in log]
        final = [(addrs.split(", ")[-1], statuses.split(", ")[-1]) for addrs, statuses in hops]
        a, b = (f"127.0.0.1:{r.port}" for r in replicas)
        assert len(log) >= KIOSKS * TRYONS_PER_KIOSK, log
        assert (a, "200") in final and (b, "200") in final, log
        assert all(status == "200" for _, status in final[-5:]), log
        retried = [line for line in log if ", " in line]
        print(f"\n{len(log)} try-ons through nginx, {len(retried)} retried on the other replica by nginx:",
              *retried, sep="\n  ")
    finally:
        if nginx is not None:
            nginx.stop()
        for replica in replicas:
            replica.stop()
