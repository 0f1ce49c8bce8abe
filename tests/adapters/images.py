"""Test images for the Docker backend, built without any registry.

- :func:`busybox_image`: ``FROM scratch`` with Debian's static busybox (``/bin/sh``, sed, awk,
  ...) and a shell ``train`` script (``tests/adapters/busybox_train.sh``) that reads
  ``/opt/ml/input/config/hyperparameters.json`` and behaves as its hyperparameters say.
- :func:`python_base_image`: a debootstrap root filesystem (bookworm, python3 + numpy) made into
  an image by ``docker import``; about two minutes, so it is cached by tag: an image already
  present is reused.
- :func:`example_image`: ``examples/docker/Dockerfile`` built on that base.
- :func:`toolkit_image`: that base plus the sagemaker-training toolkit as framework containers
  have it (``train`` on PATH runs ``sagemaker_training.cli.train``) and the user scripts of
  ``tests/adapters/toolkit_code`` in ``/opt/program``. With no registry, the toolkit and the
  packages it imports are copied from this Python environment (same Debian, same Python 3.11
  as the image, so their compiled parts load there); numpy is the image's own.

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
           "image_exists", "python_base_image", "static_busybox", "toolkit_image"]

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


_TOOLKIT_DOCKERFILE = """\
ARG BASE
FROM ${BASE}
COPY site/ /usr/local/lib/python3.11/dist-packages/
COPY program/ /opt/program/
COPY train /usr/local/bin/train
"""
_TRAIN = """\
#!/usr/bin/python3
import sys
from sagemaker_training.cli.train import main
sys.exit(main())
"""
#: Modules whose import pulls in what ``python -m sagemaker_training.cli.train`` needs.
_TOOLKIT_MODULES = ("sagemaker_training.cli.train", "sagemaker_training.trainer",
                    "sagemaker_training.entry_point", "sagemaker_training.runner",
                    "sagemaker_training.environment", "sagemaker_training.process")
_FIND_DISTRIBUTIONS = """\
import importlib, importlib.metadata as md, json, sys
before = set(sys.modules)
for m in sys.argv[1:]:
    importlib.import_module(m)
tops = {m.split(".")[0] for m in set(sys.modules) - before}
names = {d for t in tops for d in md.packages_distributions().get(t, [])}
print(json.dumps(sorted(names)))
"""


def _toolkit_distributions() -> list[str]:
    import json
    import sys

    done = subprocess.run([sys.executable, "-c", _FIND_DISTRIBUTIONS, *_TOOLKIT_MODULES],
                          capture_output=True, text=True, timeout=300, check=True)
    return [d for d in json.loads(done.stdout.strip().splitlines()[-1]) if d != "numpy"]


def toolkit_image(base: str = PYTHON_BASE_TAG) -> str:
    """The python base image with the sagemaker-training toolkit of this environment (see the
    module docstring); cached by the toolkit's version.

    Raises:
        RuntimeError: this Python is not 3.11 (the image's), so its compiled packages would not
            load in the image.
    """
    import importlib.metadata as md
    import sys

    tag = f"hpo-test-toolkit:{md.version('sagemaker-training')}-1"
    if image_exists(tag):
        return tag
    if sys.version_info[:2] != (3, 11):
        raise RuntimeError(f"the toolkit image copies this environment's packages into a "
                           f"Python 3.11 image; this is Python {sys.version.split()[0]}")
    python_base_image(base)
    with tempfile.TemporaryDirectory(prefix="hpo-toolkit-") as tmp:
        ctx = Path(tmp)
        site = ctx / "site"
        for name in _toolkit_distributions():
            dist = md.distribution(name)
            for f in dist.files or []:
                if f.parts[0] == ".." or "__pycache__" in f.parts:
                    continue  # scripts outside site-packages; bytecode of this Python
                src = Path(str(dist.locate_file(f)))
                if src.is_file():
                    (site / f).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(src, site / f)
        shutil.copytree(HERE / "toolkit_code", ctx / "program",
                        ignore=shutil.ignore_patterns("__pycache__"))
        (ctx / "train").write_text(_TRAIN, encoding="utf-8")
        (ctx / "train").chmod(0o755)
        (ctx / "Dockerfile").write_text(_TOOLKIT_DOCKERFILE, encoding="utf-8")
        return _build(ctx, tag, "--build-arg", f"BASE={base}")


if __name__ == "__main__":
    print(busybox_image())
    print(python_base_image())
