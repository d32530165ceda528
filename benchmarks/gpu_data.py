"""The data the GPU check carries to a GPU machine, in a git-ignored folder of the working tree.

Only the working tree travels there, 64 MiB in all. So this copies MNIST's and Fashion-MNIST's
.gz files (41.6 MB; the check extracts them there), and a CIFAR-10 subset as an ImageFolder
tree of its JPEGs, --per-class images of each class from train and a tenth of that from
test. It checks the total against --limit-mib.

    python benchmarks/gpu_data.py [--source ../shared/data] [--target .data] [--per-class 1400]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path


def size_of(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def tracked_size(root: Path) -> int:
    names = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True,
                           check=True).stdout.split(b"\0")
    return sum((root / n.decode()).stat().st_size for n in names if n and (root / n.decode()).is_file())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path("../shared/data"))
    parser.add_argument("--target", type=Path, default=Path(".data"))
    parser.add_argument("--per-class", type=int, default=1400)
    parser.add_argument("--limit-mib", type=float, default=64.0)
    parser.add_argument("--wheels", type=Path, default=Path(".whl"))
    args = parser.parse_args()
    for name in ("MNIST", "FashionMNIST"):
        packed = sorted((args.source / name / "raw").glob("*.gz"))
        if len(packed) != 4:
            print(f"{args.source / name / 'raw'}: found {len(packed)} .gz files; expected the 4 "
                  f"of torchvision's layout", file=sys.stderr)
            return 2
        raw = args.target / name / "raw"
        raw.mkdir(parents=True, exist_ok=True)
        for path in packed:
            shutil.copy2(path, raw / path.name)
    cifar = args.source / "CIFAR-10-images"
    for split, count in (("train", args.per_class), ("test", max(1, args.per_class // 10))):
        classes = sorted(p for p in (cifar / split).iterdir() if p.is_dir())
        if len(classes) != 10:
            print(f"{cifar / split}: found {len(classes)} class folders; expected 10",
                  file=sys.stderr)
            return 2
        for folder in classes:
            into = args.target / "CIFAR-10-images" / split / folder.name
            shutil.rmtree(into, ignore_errors=True)
            into.mkdir(parents=True)
            for image in sorted(folder.glob("*.jpg"))[:count]:
                shutil.copy2(image, into / image.name)
    root = Path(__file__).resolve().parents[1]
    data = size_of(args.target)
    wheels = size_of(args.wheels) if args.wheels.is_dir() else 0
    tree = tracked_size(root)
    total = data + wheels + tree
    print(f"{args.target}: {data / 2 ** 20:.1f} MiB of data; {wheels / 2 ** 20:.1f} MiB of wheels; "
          f"{tree / 2 ** 20:.1f} MiB of tracked files; {total / 2 ** 20:.1f} MiB of "
          f"{args.limit_mib:g} MiB that may travel")
    if total > args.limit_mib * 2 ** 20:
        print("too large to travel: take fewer CIFAR-10 images (--per-class)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
