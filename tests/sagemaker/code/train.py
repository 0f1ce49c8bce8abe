"""A SageMaker script-mode training script (argparse on the toolkit's arguments, SM_* paths):
loss = (x - 0.3)^2 + 1/epoch, one line per epoch; ``--sleep`` seconds per epoch."""

import argparse
import os
import time

parser = argparse.ArgumentParser()
parser.add_argument("-x", "--x", type=float, required=True)  # the toolkit: -x
parser.add_argument("--epochs", type=int, default=2)
parser.add_argument("--sleep", type=float, default=0.0)
parser.add_argument("--model-dir", default=os.environ["SM_MODEL_DIR"])
parser.add_argument("--train", default=os.environ["SM_CHANNEL_TRAIN"])
args = parser.parse_args()
assert os.listdir(args.train) == ["rows.csv"], os.listdir(args.train)
for epoch in range(1, args.epochs + 1):
    time.sleep(args.sleep)
    print(f"epoch={epoch} loss={(args.x - 0.3) ** 2 + 1 / epoch:.6f}", flush=True)
with open(os.path.join(args.model_dir, "model.txt"), "w") as f:
    f.write(f"x={args.x}\n")
