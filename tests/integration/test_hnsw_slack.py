"""Embedded Chroma writes its HNSW files from buffers allocated at full capacity and never
zeroed (chroma-core/chroma#7688): the slots past the last vector can hold recycled process
memory, buyer text included. ``scrub_hnsw_slack`` zeroes them after a purge; the index must
still load and answer afterwards, in a new process, and keep working when vectors are added.

Which bytes the allocator recycles cannot be forced, so the test writes a marker into the
slack itself, the way recycled memory would sit there."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np

from bot.privacy.storage import scrub_hnsw_slack
from ingest.index import ChromaIndex, IndexedChunk

MARKER = b"Maria Lopez 112-3456789-1234567"
DIMENSION = 16


def _chunks(count: int, start: int = 0) -> tuple[list[IndexedChunk], np.ndarray]:
    chunks = [
        IndexedChunk(id=f"c{n}", article_id=f"a{n}", revision=1, number=0, title=f"A{n}",
                     heading="", text=f"article {n}", content_hash=f"h{n}")
        for n in range(start, start + count)
    ]
    vectors = np.eye(DIMENSION, dtype=np.float32)[start:start + count] + 0.01
    return chunks, vectors


def _nearest_in_new_process(chroma_dir: Path, probe: int) -> list[str]:
    """Open the directory the way a restarted server would, and search it."""
    script = (
        "import json, sys, numpy as np\n"
        "from pathlib import Path\n"
        "from ingest.index import ChromaIndex\n"
        "index = ChromaIndex.persistent(Path(sys.argv[1]))\n"
        f"vector = np.eye({DIMENSION}, dtype=np.float32)[int(sys.argv[2])]\n"
        "print(json.dumps([i for i, _ in index.nearest(vector, k=2)]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(chroma_dir), str(probe)],
        capture_output=True, text=True, check=True, timeout=120,
    )
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def _segments(chroma_dir: Path) -> list[Path]:
    return [header.parent for header in chroma_dir.glob("*/header.bin")]


def _plant(segment: Path) -> None:
    """The marker into the slack of both capacity-sized files (past the persisted count)."""
    _, _, capacity, count, element_size = struct.unpack_from(
        "<i4Q", (segment / "header.bin").read_bytes())
    for name, slot_size in (("data_level0.bin", element_size), ("length.bin", 4)):
        path = segment / name
        data = bytearray(path.read_bytes())
        assert len(data) == capacity * slot_size, f"{name} is not written at full capacity"
        at = max(count * slot_size, len(data) - len(MARKER) - 8)
        data[at:at + len(MARKER)] = MARKER
        path.write_bytes(bytes(data))


def _holding_marker(chroma_dir: Path) -> list[str]:
    return [str(p.relative_to(chroma_dir)) for p in chroma_dir.rglob("*.bin")
            if MARKER in p.read_bytes()]


def test_slack_is_zeroed_and_the_index_still_loads_answers_and_grows(tmp_path: Path) -> None:
    chroma_dir = tmp_path / "chroma"
    index = ChromaIndex.persistent(chroma_dir)
    chunks, vectors = _chunks(3)
    index.upsert(chunks, vectors)
    segments = _segments(chroma_dir)
    assert segments, "embedded Chroma wrote no HNSW segment"
    for segment in segments:
        _plant(segment)
    assert _holding_marker(chroma_dir)

    zeroed = scrub_hnsw_slack(chroma_dir)

    assert zeroed > 0 and _holding_marker(chroma_dir) == []
    assert _nearest_in_new_process(chroma_dir, 1)[0] == "c1"
    more, more_vectors = _chunks(3, start=3)
    index.upsert(more, more_vectors)
    assert _nearest_in_new_process(chroma_dir, 4)[0] == "c4"
    assert _nearest_in_new_process(chroma_dir, 0)[0] == "c0"


def test_a_fully_persisted_segment_has_no_slack_and_is_left_as_it_is(tmp_path: Path) -> None:
    # Past Chroma's sync threshold (1,000 writes) the files are rewritten up to the last
    # vector only: nothing to zero, nothing touched.
    chroma_dir = tmp_path / "chroma"
    index = ChromaIndex.persistent(chroma_dir)
    rng = np.random.default_rng(7)
    chunks = [IndexedChunk(id=f"c{n}", article_id=f"a{n}", revision=1, number=0, title="",
                           heading="", text="x", content_hash="h") for n in range(1100)]
    vectors = rng.random((1100, DIMENSION), dtype=np.float32)
    index.upsert(chunks, vectors)
    before = {p: p.read_bytes() for s in _segments(chroma_dir) for p in s.glob("*.bin")}
    persisted = [struct.unpack_from("<i4Q", (s / "header.bin").read_bytes())[3]
                 for s in _segments(chroma_dir)]
    assert max(persisted) > 0, "Chroma did not persist the segment past its sync threshold"

    scrub_hnsw_slack(chroma_dir)

    assert {p: p.read_bytes() for p in before} == before
    probe = vectors[42]
    assert index.nearest(probe, k=1)[0][0] == "c42"
