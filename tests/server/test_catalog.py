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


# -- supplied masks (issue 13) ---------------------------------------------------------------------------
def test_a_supplied_mask_file_is_used_instead_of_computing_one(folder, tmp_path):
    (folder / "masks").mkdir()
    exact = np.zeros((160, 120), np.uint8)
    exact[20:140, 10:110] = 255  # deliberately not what _mask_fn would find
    Image.fromarray(exact).save(folder / "masks" / "navy-tee.png")
    calls: list = []
    catalog = Catalog(folder, tmp_path / "cache", _mask_fn(calls))
    [garment] = catalog.garments()
    assert np.array_equal(catalog.analysis(garment).mask, exact)
    assert calls == [] and not catalog.problems


def test_a_mask_file_of_the_wrong_size_is_reported_and_the_mask_computed(folder, tmp_path):
    (folder / "masks").mkdir()
    Image.new("L", (50, 50), 255).save(folder / "masks" / "navy-tee.png")
    calls: list = []
    catalog = Catalog(folder, tmp_path / "cache", _mask_fn(calls))
    analysis = catalog.analysis(catalog.garments()[0])
    assert calls == ["tshirt"] and analysis.mask[80, 60] == 255 and analysis.mask[5, 5] == 0
    assert "50x50" in catalog.problems["navy-tee.png"]


def test_builtin_catalog_masks_are_the_exact_garment_shapes(tryon_app):
    """The computed mask of a generated photo took in part of the drop shadow, filling the armpit notch
    (heather grey long sleeve: IoU 0.92 with its shape); the built-in catalog now ships its exact masks."""
    from server.catalog.generate import BUILTIN_CATALOG, make_garment

    catalog = tryon_app.extensions["tryon"].require_ready().catalog
    assert {g.id for g in catalog.garments()} == {e.id for e in BUILTIN_CATALOG}
    for entry in BUILTIN_CATALOG:
        exact = make_garment(entry.category, colour=entry.colour, pattern=entry.pattern)[1]
        assert np.array_equal(catalog.analysis(catalog.get(entry.id)).mask, exact), entry.id


# -- the built-in catalog on disk (issue 13) --------------------------------------------------------------
def test_builtin_catalog_appears_complete_or_not_at_all_when_workers_race(tmp_path):
    """Two workers starting at once both write it; a reader never sees a half-written folder."""
    import threading

    from server.catalog.builtin import BuiltinCatalog
    from server.catalog.generate import BUILTIN_CATALOG

    cache = tmp_path / "cache"
    expected = {"catalog.yaml"} | {f"{e.id}.png" for e in BUILTIN_CATALOG}
    expected_masks = {f"{e.id}.png" for e in BUILTIN_CATALOG}
    seen_incomplete: list[str] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            for folder in cache.glob("builtin*"):
                try:
                    names = {p.name for p in folder.iterdir() if p.is_file()}
                    masks = {p.name for p in (folder / "masks").iterdir()}
                except OSError:  # renamed away between glob and listing: not visible, fine
                    continue
                if names != expected or masks != expected_masks:
                    seen_incomplete.append(f"{folder.name}: {len(names)} files, {len(masks)} masks")

    watcher = threading.Thread(target=watch)
    watcher.start()
    folders: list = []
    workers = [threading.Thread(target=lambda: folders.append(BuiltinCatalog(cache).folder())) for _ in range(2)]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        done.set()
        watcher.join()
    assert seen_incomplete == []
    assert len(set(folders)) == 1 and folders[0].parent == cache
    assert [p.name for p in cache.iterdir()] == [folders[0].name]  # no staging folder left behind
    catalog = Catalog(folders[0], cache, _mask_fn([]))
    assert len(catalog.garments()) == len(BUILTIN_CATALOG) and not catalog.problems


def test_an_older_builtin_catalog_folder_is_replaced(tmp_path):
    from server.catalog.builtin import BuiltinCatalog

    cache = tmp_path / "cache"
    (cache / "builtin").mkdir(parents=True)
    (cache / "builtin" / "catalog.yaml").write_text("garments: {}\n")
    folder = BuiltinCatalog(cache).folder()
    assert folder.name.startswith("builtin-") and not (cache / "builtin").exists()
