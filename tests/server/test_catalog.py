"""The garment catalog: staff drop photos in a folder; masks and thumbnails are cached by content hash."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from server.catalog.catalog import Catalog, garment_id_for


def _mask_fn(calls: list):
    def mask(image: np.ndarray, category: str) -> np.ndarray:
        calls.append(category)
        return np.where(image.mean(axis=2) < 200, 255, 0).astype(np.uint8)
    return mask


def _photo(path, colour=(20, 40, 160)):
    image = Image.new("RGB", (120, 160), (245, 245, 245))
    image.paste(colour, (30, 30, 90, 130))
    image.save(path)


@pytest.fixture
def folder(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    _photo(photos / "navy-tee.png")
    (photos / "catalog.yaml").write_text("garments:\n  navy-tee: {name: Navy tee, category: tshirt, price: '19 €'}\n")
    return photos


def test_metadata_names_the_garment(folder, tmp_path):
    catalog = Catalog(folder, tmp_path / "cache", _mask_fn([]))
    [garment] = catalog.garments()
    assert (garment.id, garment.name, garment.category, garment.price) == ("navy-tee", "Navy tee", "tshirt", "19 €")


def test_a_photo_added_to_the_folder_appears(folder, tmp_path):
    catalog = Catalog(folder, tmp_path / "cache", _mask_fn([]))
    assert len(catalog.garments()) == 1
    _photo(folder / "Red Tee.jpg", (200, 20, 20))
    catalog.refresh(force=True)
    assert {g.id for g in catalog.garments()} == {"navy-tee", "red-tee"}


def test_mask_is_computed_once_and_then_read_from_the_cache(folder, tmp_path):
    calls: list = []
    first = Catalog(folder, tmp_path / "cache", _mask_fn(calls))
    first.analysis(first.garments()[0])
    fresh = Catalog(folder, tmp_path / "cache", _mask_fn(calls))  # a restarted server
    analysis = fresh.analysis(fresh.garments()[0])
    assert calls == ["tshirt"]
    assert analysis.mask[80, 60] == 255 and analysis.mask[5, 5] == 0


def test_corrupt_photo_is_skipped_and_reported(folder, tmp_path):
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    catalog = Catalog(folder, tmp_path / "cache", _mask_fn([]))
    assert [g.id for g in catalog.garments()] == ["navy-tee"]
    assert "broken.jpg" in catalog.problems


def test_unknown_category_is_reported(folder, tmp_path):
    _photo(folder / "jeans.png")
    (folder / "catalog.yaml").write_text("garments:\n  jeans: {category: trousers}\n")
    catalog = Catalog(folder, tmp_path / "cache", _mask_fn([]))
    assert "jeans.png" in catalog.problems and "trousers" in catalog.problems["jeans.png"]


def test_unwritable_cache_keeps_working_in_memory(folder, tmp_path):
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be")
    calls: list = []
    catalog = Catalog(folder, blocker, _mask_fn(calls))
    garment = catalog.garments()[0]
    assert catalog.thumbnail(garment)[:2] == b"\xff\xd8"
    catalog._analyses.clear()
    catalog.analysis(garment)
    catalog._analyses.clear()
    catalog.analysis(garment)
    assert calls == ["tshirt"]


@pytest.mark.parametrize("stem,expected", [("Blue Tee (2)", "blue-tee-2"), ("../../etc/passwd", "etc-passwd"),
                                           ("ÉTÉ", "t")])
def test_ids_are_url_safe(stem, expected):
    assert garment_id_for(stem) == expected
