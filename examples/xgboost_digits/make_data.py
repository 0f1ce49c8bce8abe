"""Write the digits data that ships with scikit-learn as the job's two channels.

    python make_data.py      # data/train/train.csv.gz, data/validation/validation.csv.gz

CSV without header, the label first (the SageMaker XGBoost convention), gzip-compressed; a
stratified 80/20 split with a fixed seed. The files are committed; run this only to remake
them (needs scikit-learn).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


def main() -> None:
    x, y = load_digits(return_X_y=True)
    x_tr, x_va, y_tr, y_va = train_test_split(x, y, test_size=0.2, stratify=y, random_state=0)
    here = Path(__file__).parent / "data"
    for name, xs, ys in (("train", x_tr, y_tr), ("validation", x_va, y_va)):
        folder = here / name
        folder.mkdir(parents=True, exist_ok=True)
        rows = np.column_stack([ys, xs]).astype(np.int64)
        np.savetxt(folder / f"{name}.csv.gz", rows, fmt="%d", delimiter=",")
        print(f"{folder / f'{name}.csv.gz'}: {rows.shape[0]} rows")


if __name__ == "__main__":
    main()
