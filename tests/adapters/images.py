"""Test images for the Docker backend, built without any registry.

- :func:`busybox_image`: ``FROM scratch`` with Debian's static busybox (``/bin/sh``, sed, awk,
  ...) and a shell ``train`` script (``tests/adapters/busybox_train.sh``) that reads
  ``/opt/ml/input/config/hyperparameters.json`` and behaves as its hyperparameters say.
- :func:`python_base_image`: a debootstrap root filesystem (bookworm, python3 + numpy) made into
  an image by ``docker import``; about two minutes, so it is cached by tag: an image already
  present is reused.
- :func:`example_image`: ``examples/docker/Dockerfile`` built on that base.

Also runnable as a script to build them ahead of a test run::

    python -m tests.adapters.images
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

__all__ = ["BUSYBOX_TAG", "EXAMPLE_TAG", "PYTHON_BASE_TAG", "busybox_image", "example_image",
           "image_exists", "python_base_image", "static_busybox"]

BUSYBOX_TAG = "hpo-test-busybox:1"
PYTHON_BASE_TAG = "hpo-test-python:bookworm-1"
EXAMPLE_TAG = "hpo-example-docker:test"
HERE = Path(__file__).resolve().parent
_PT_INTERP = 3
REPO = HERE.parents[1]

_BUSYBOX_DOCKERFILE = """\
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "mkdir", "-p", "/usr/bin", "/sbin", "/usr/sbin", "/usr/local/bin", "/tmp"]
RUN ["/bin/busybox", "--install", "-s"]
COPY train /usr/local/bin/train
ENV PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin
"""


def _docker(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout,
                          check=False)


def image_exists(tag: str) -> bool:
    """Whether the local daemon has image ``tag``."""
    return _docker("image", "inspect", tag, timeout=60).returncode == 0


def _build(context: Path, tag: str, *extra: str) -> str:
    done = _docker("build", "-q", "-t", tag, *extra, str(context))
    if done.returncode != 0:
        raise RuntimeError(f"docker build {tag} failed:\n{done.stdout}\n{done.stderr}")
    return tag


def static_busybox() -> str | None:
    """The busybox on PATH if it is statically linked (Debian's ``busybox-static``: the image
    is ``FROM scratch``, with no C library for a dynamic one), else None."""
    path = shutil.which("busybox")
    return path if path is not None and _is_static_elf(Path(path)) else None


def _is_static_elf(path: Path) -> bool:
    """Whether a 64-bit little-endian ELF file has no program interpreter (PT_INTERP)."""
    head = path.read_bytes()
    if head[:6] != b"\x7fELF\x02\x01":
        return False
    phoff, = struct.unpack_from("<Q", head, 0x20)
    size, count = struct.unpack_from("<HH", head, 0x36)
    return all(struct.unpack_from("<I", head, phoff + i * size)[0] != _PT_INTERP
               for i in range(count))


def busybox_image(tag: str = BUSYBOX_TAG) -> str:
    """Build (always: a few seconds, layers cached) the busybox training image; return its tag."""
    busybox = static_busybox()
    if busybox is None:
        raise RuntimeError("no static busybox on PATH (apt-get install busybox-static)")
    with tempfile.TemporaryDirectory(prefix="hpo-busybox-") as tmp:
        ctx = Path(tmp)
        shutil.copy2(busybox, ctx / "busybox")
        shutil.copy2(HERE / "busybox_train.sh", ctx / "train")
        (ctx / "train").chmod(0o755)
        (ctx / "Dockerfile").write_text(_BUSYBOX_DOCKERFILE, encoding="utf-8")
        return _build(ctx, tag)


def python_base_image(tag: str = PYTHON_BASE_TAG) -> str:
    """The debootstrap python3 + numpy image, built once (reused when ``tag`` exists)."""
    if image_exists(tag):
        return tag
    if shutil.which("debootstrap") is None:
        raise RuntimeError(f"image {tag} is missing and debootstrap, which builds it, is not "
                           "on PATH (apt-get install debootstrap)")
    with tempfile.TemporaryDirectory(prefix="hpo-rootfs-") as tmp:
        root = Path(tmp) / "rootfs"
        try:
            done = subprocess.run(
                ["debootstrap", "--variant=minbase", "--include=python3,python3-numpy",
                 "bookworm", str(root)], capture_output=True, text=True, timeout=1200,
                check=False)
            if done.returncode != 0:
                raise RuntimeError(f"debootstrap failed:\n{done.stdout[-3000:]}\n"
                                   f"{done.stderr[-3000:]}")
        finally:
            for mount in ("proc", "sys", "dev/pts"):
                if (root / mount).is_mount():
                    subprocess.run(["umount", "-l", str(root / mount)], check=False)
        tar = subprocess.Popen(["tar", "-C", str(root), "--numeric-owner", "-c", "."],
                               stdout=subprocess.PIPE)
        imported = subprocess.run(
            ["docker", "import", "--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:"
             "/usr/sbin:/usr/bin:/sbin:/bin", "-", tag], stdin=tar.stdout,
            capture_output=True, text=True, timeout=600, check=False)
        assert tar.stdout is not None
        tar.stdout.close()
        tar.wait()
        if imported.returncode != 0:
            raise RuntimeError(f"docker import failed: {imported.stderr}")
    return tag


def example_image(tag: str = EXAMPLE_TAG, base: str = PYTHON_BASE_TAG) -> str:
    """``examples/docker`` built on the python base image (no registry needed)."""
    return _build(REPO / "examples" / "docker", tag, "--build-arg", f"BASE={base}")


if __name__ == "__main__":
    print(busybox_image())
    print(python_base_image())
