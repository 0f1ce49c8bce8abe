#!/bin/sh
# A SageMaker-style `train` for the busybox test image: reads the contract's hyperparameters and
# behaves as the `mode` hyperparameter says. Metric lines: `epoch=N loss=V`.
CONF=/opt/ml/input/config/hyperparameters.json

hp() {  # hp NAME DEFAULT: a value of hyperparameters.json (written one "key": "value" a line)
    v=$(grep "\"$1\":" "$CONF" | sed 's/^[^:]*: *"\(.*\)",\{0,1\} *$/\1/')
    echo "${v:-$2}"
}

mode=$(hp mode ok)
x=$(hp x 0.5)
epochs=$(hp epochs 3)
delay=$(hp delay 0.05)

train() {
    i=1
    while [ "$i" -le "$epochs" ]; do
        loss=$(awk -v x="$x" -v i="$i" 'BEGIN { printf "%.6f", (x - 0.3) * (x - 0.3) + 1 / i }')
        echo "epoch=$i loss=$loss"
        sleep "$delay"
        i=$((i + 1))
    done
}

case "$mode" in
ok)
    train
    echo "model for x=$x" > /opt/ml/model/model.txt
    ;;
contract)
    echo "hyperparameters: $(tr -d '\n ' < "$CONF")"
    echo "inputdataconfig: $(tr -d '\n ' < /opt/ml/input/config/inputdataconfig.json)"
    echo "resourceconfig: $(tr -d '\n ' < /opt/ml/input/config/resourceconfig.json)"
    echo "channel-file: $(cat /opt/ml/input/data/train/data.txt)"
    if touch /opt/ml/input/data/train/written 2>/dev/null; then echo "channel: writable"
    else echo "channel: read-only"; fi
    env | grep -E '^(SM_|TRAINING_JOB_NAME|CUSTOM_)' | sort | sed 's/^/env: /'
    echo "interfaces: $(ls /sys/class/net | tr '\n' ' ')"
    echo "args: $0 $*"
    train
    echo "written by the container" > /opt/ml/model/model.txt
    echo "checkpoint" > /opt/ml/checkpoints/ckpt.txt
    ;;
live)  # one metric line, then wait for the host to create model/go
    echo "epoch=1 loss=0.75"
    while [ ! -e /opt/ml/model/go ]; do sleep 0.05; done
    echo "epoch=2 loss=0.5"
    ;;
gate)  # wait for the host to create model/go, then train
    echo "waiting"
    while [ ! -e /opt/ml/model/go ]; do sleep 0.05; done
    train
    ;;
fail)
    echo "epoch=1 loss=0.9"
    echo "something went wrong" >&2
    exit 3
    ;;
failure_file)
    echo "ValueError: x must be small, got $x" > /opt/ml/output/failure
    exit 1
    ;;
oom)  # tail keeps an endless line in memory until the memory limit kills it
    echo "allocating"
    exec tail /dev/zero
    ;;
ignore_term)  # PID 1 without a handler ignores SIGTERM: killed after the grace period
    echo "epoch=1 loss=0.8"
    while :; do sleep 0.1; done
    ;;
trap_term)
    trap 'echo "got SIGTERM, saving"; exit 143' TERM
    echo "epoch=1 loss=0.8"
    while :; do sleep 0.1; done
    ;;
*)
    echo "unknown mode $mode" > /opt/ml/output/failure
    exit 2
    ;;
esac
