"""Hostile inputs: strings that reach environment variables, file names and paths (NUL, lone
surrogates, ``=``, path climbing), unreadable job documents and optimizer files. Each gives one
clear error naming the field and the value, before anything runs; ``hpo tune`` exits 2 without a
traceback, and nothing is ever created outside the job directory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hpo_core.adapters.base import TrainingJobRequest
from hpo_core.adapters.local import LocalBackend, prepare_directory
from hpo_core.cli import main
from hpo_core.errors import ExecutionError, JobConfigError
from hpo_core.jobs.document import parse_document
from hpo_core.jobs.tuning_job import TuningJob
from hpo_core.space import Categorical, SearchSpace, Static
from tests.jobs.helpers import base_doc, dump, with_change

C = "HyperParameterTuningJobConfig"
PR = f"{C}.ParameterRanges"
CONT = f"{PR}.ContinuousParameterRanges"
D = "TrainingJobDefinition"
ESCAPE = "../../../../../../escape-link"


def _cat(*values: str) -> dict[str, Any]:
    doc = base_doc()
    doc[C]["ParameterRanges"]["CategoricalParameterRanges"] = [{"Name": "c",
                                                                "Values": list(values)}]
    return doc


def _channels(channels: dict[str, str], idc: str | None = None) -> dict[str, Any]:
    doc = with_change(base_doc(), "Local.Channels", channels)
    if idc is not None:
        doc[D]["InputDataConfig"] = [{"ChannelName": idc, "DataSource": {}}]
    return doc


def _definitions_channels(channels: dict[str, str]) -> dict[str, Any]:
    doc = base_doc()
    doc["Local"]["Definitions"] = {"default": {"Channels": channels}}
    return doc


#: (id, document, expected JobConfigError.path, a fragment the message must hold)
BAD: list[tuple[str, Any, str, str]] = [
    # hyperparameter names: SM_HP_<NAME> and hyperparameters.json
    ("hp-name-equals", with_change(base_doc(), f"{C}.ParameterRanges.ContinuousParameterRanges",
                                   [{"Name": "a=b", "MinValue": "0", "MaxValue": "1"}]),
     f"{CONT}[0].Name", "'a=b'"),
    ("hp-name-nul", with_change(base_doc(), f"{CONT}", [{"Name": "a\x00", "MinValue": "0",
                                                         "MaxValue": "1"}]),
     f"{CONT}[0].Name", "NUL"),
    ("hp-name-surrogate", with_change(base_doc(), f"{CONT}", [{"Name": "\ud800", "MinValue": "0",
                                                               "MaxValue": "1"}]),
     f"{CONT}[0].Name", "surrogate"),
    ("hp-name-newline", with_change(base_doc(), f"{CONT}", [{"Name": "a\nb", "MinValue": "0",
                                                             "MaxValue": "1"}]),
     f"{CONT}[0].Name", "'\\n'"),
    ("hp-name-257", with_change(base_doc(), f"{CONT}", [{"Name": "x" * 257, "MinValue": "0",
                                                         "MaxValue": "1"}]),
     f"{CONT}[0].Name", "257 characters"),
    ("static-name-equals", with_change(base_doc(), f"{D}.StaticHyperParameters", {"a=b": "1"}),
     f"{D}.StaticHyperParameters['a=b']", "'='"),
    ("static-name-nul", with_change(base_doc(), f"{D}.StaticHyperParameters", {"a\x00": "1"}),
     f"{D}.StaticHyperParameters", "'a\\x00'"),
    ("static-name-tab", with_change(base_doc(), f"{D}.StaticHyperParameters", {"a\tb": "1"}),
     f"{D}.StaticHyperParameters['a\\tb']", "'\\t'"),
    # hyperparameter values: environment variable values
    ("static-value-nul", with_change(base_doc(), f"{D}.StaticHyperParameters.epochs", "3\x00"),
     f"{D}.StaticHyperParameters.epochs", "'3\\x00'"),
    ("static-value-long-nul", with_change(base_doc(), f"{D}.StaticHyperParameters.epochs",
                                          "3" * 100_000 + "\x00"),
     f"{D}.StaticHyperParameters.epochs", "index 100000"),
    ("static-value-surrogate", with_change(base_doc(), f"{D}.StaticHyperParameters.epochs",
                                           "\ud800"),
     f"{D}.StaticHyperParameters.epochs", "'\\ud800'"),
    ("categorical-value-nul", _cat("a", "b\x00"),
     f"{PR}.CategoricalParameterRanges[0].Values[1]", "NUL"),
    ("categorical-value-surrogate", _cat("\udfff", "b"),
     f"{PR}.CategoricalParameterRanges[0].Values[0]", "UTF-8"),
    ("range-bound-nul", with_change(base_doc(), f"{CONT}.0.MinValue", "0\x00"),
     f"{CONT}[0].MinValue", "NUL"),
    # Environment
    ("env-key-equals", with_change(base_doc(), f"{D}.Environment", {"A=B": "1"}),
     f"{D}.Environment['A=B']", "environment variable name"),
    ("env-key-empty", with_change(base_doc(), f"{D}.Environment", {"": "1"}),
     f"{D}.Environment['']", "environment variable name"),
    ("env-key-digit", with_change(base_doc(), f"{D}.Environment", {"1A": "1"}),
     f"{D}.Environment.1A", "'1A'"),
    ("env-key-space", with_change(base_doc(), f"{D}.Environment", {"A B": "1"}),
     f"{D}.Environment['A B']", "'A B'"),
    ("env-key-nul", with_change(base_doc(), f"{D}.Environment", {"A\x00": "1"}),
     f"{D}.Environment", "'A\\x00'"),
    ("env-value-nul", with_change(base_doc(), f"{D}.Environment", {"A": "x\x00y"}),
     f"{D}.Environment.A", "'x\\x00y'"),
    ("env-value-surrogate", with_change(base_doc(), f"{D}.Environment", {"A": "\ud800"}),
     f"{D}.Environment.A", "surrogate"),
    # channels: one folder inside input/data
    ("channel-equals", _channels({"a=b": "data/d1"}), "Local.Channels['a=b']", "'a=b'"),
    ("channel-climbs", _channels({ESCAPE: "data/d1"}), f"Local.Channels[{ESCAPE!r}]",
     "not '.' or '..'"),
    ("channel-absolute", _channels({"/tmp/escape-link": "data/d1"}),
     "Local.Channels['/tmp/escape-link']", "'/tmp/escape-link'"),
    ("channel-dotdot", _channels({"..": "data/d1"}), "Local.Channels['..']", "'..'"),
    ("channel-dot", _channels({".": "data/d1"}), "Local.Channels['.']", "'.'"),
    ("channel-empty", _channels({"": "data/d1"}), "Local.Channels['']", "''"),
    ("channel-slash", _channels({"a/b": "data/d1"}), "Local.Channels['a/b']", "'a/b'"),
    ("channel-65", _channels({"c" * 65: "data/d1"}), f"Local.Channels.{'c' * 65}", "1-64"),
    ("channel-nul", _channels({"a\x00": "data/d1"}), "Local.Channels", "NUL"),
    ("channel-dir-nul", _channels({"train": "data/d1\x00"}), "Local.Channels.train", "NUL"),
    ("channel-dir-surrogate", _channels({"train": "data/\ud800"}), "Local.Channels.train",
     "surrogate"),
    ("definition-channel-climbs", _definitions_channels({ESCAPE: "data/d1"}),
     f"Local.Definitions.default.Channels[{ESCAPE!r}]", "one folder"),
    ("input-channel-dotdot", _channels({"train": "data/d1"}, idc=".."),
     f"{D}.InputDataConfig[0].ChannelName", "'..'"),
    ("input-channel-slash", _channels({"train": "data/d1"}, idc="a/b"),
     f"{D}.InputDataConfig[0].ChannelName", "'a/b'"),
    ("input-channel-not-string", _channels({"train": "data/d1"}, idc=3),  # type: ignore[arg-type]
     f"{D}.InputDataConfig[0].ChannelName", "3"),
    # other strings that reach argv, paths or the environment
    ("directory-nul", with_change(base_doc(), "Local.Directory", "runs/\x00"), "Local.Directory",
     "NUL"),
    ("command-nul", with_change(base_doc(), "Local.Command", ["python", "train.py\x00"]),
     "Local.Command[1]", "NUL"),
    ("metric-nul", with_change(base_doc(), f"{C}.HyperParameterTuningJobObjective.MetricName",
                               "lo\x00ss"), f"{C}.HyperParameterTuningJobObjective.MetricName",
     "NUL"),
    ("image-nul", with_change(with_change(base_doc(), "Local.Backend", "docker"),
                              f"{D}.AlgorithmSpecification", {"TrainingImage": "img\x00"}),
     f"{D}.AlgorithmSpecification.TrainingImage", "NUL"),
    ("tag-surrogate", with_change(base_doc(), "Tags", [{"Key": "k", "Value": "\udc80"}]),
     "Tags[0].Value", "surrogate"),
]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The document's folder (with the data directory the channels name), one level below
    tmp_path, so that anything created next to it is seen in tmp_path's listing."""
    base = tmp_path / "doc"
    (base / "data" / "d1").mkdir(parents=True)
    return base


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_corpus_is_distinct() -> None:
    assert len(BAD) >= 41
    assert len({case[0] for case in BAD}) == len(BAD)


@pytest.mark.parametrize(("doc", "path", "fragment"), [c[1:] for c in BAD],
                         ids=[c[0] for c in BAD])
def test_hostile_document_gives_one_error_naming_field_and_value(
        doc: Any, path: str, fragment: str, folder: Path) -> None:
    with pytest.raises(JobConfigError) as info:
        parse_document(doc, folder)
    err = info.value
    assert err.path == path, str(err)
    message = str(err)
    assert message.startswith(path + ": ")
    assert fragment in message
    assert "\n" not in message and "\x00" not in message and len(message) < 600
    message.encode("utf-8")  # printable anywhere: the value is shown as its (short) repr


@pytest.mark.parametrize(("doc", "path"), [(c[1], c[2]) for c in BAD], ids=[c[0] for c in BAD])
def test_hostile_document_through_hpo_tune(doc: Any, path: str, folder: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    parent = folder.parent.parent
    before, inside = set(parent.iterdir()), _tree(folder.parent)
    file = dump(doc, folder)
    assert main(["tune", str(file)]) == 2
    out = capsys.readouterr()
    lines = out.err.strip().splitlines()
    assert out.out == "" and len(lines) == 1 and "Traceback" not in out.err
    assert lines[0].startswith(f"hpo tune: error: {path}: ")
    assert set(parent.iterdir()) == before  # nothing next to tmp_path
    assert _tree(folder.parent) == inside | {"doc/job.json"}  # nothing in it but the document


def test_hpo_tune_subprocess_refuses_a_climbing_channel(folder: Path) -> None:
    parent = folder.parent.parent
    before = set(parent.iterdir())
    file = dump(_channels({ESCAPE: "data/d1"}), folder)
    proc = subprocess.run([sys.executable, "-m", "hpo_core.cli", "tune", str(file)],
                          capture_output=True, text=True, timeout=120, cwd=folder)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert proc.stderr.strip().startswith(f"hpo tune: error: Local.Channels[{ESCAPE!r}]: ")
    assert set(parent.iterdir()) == before
    assert not (folder / "runs").exists()


def test_unusual_but_valid_names_run(folder: Path) -> None:
    """What SageMaker allows and the contract can carry still runs: dots and dashes in
    channel names, punctuation and non-ASCII letters in hyperparameter names and values."""
    script = folder / "train.py"
    script.write_text(
        "import json, os\n"
        "hp = json.load(open(os.path.join(os.environ['SM_INPUT_CONFIG_DIR'],"
        " 'hyperparameters.json')))\n"
        "assert os.environ['SM_HP_LEARNING.RATE-Ä'] == hp['learning.rate-ä']\n"
        "assert os.listdir(os.environ['SM_CHANNEL_TRAIN.V2-A_B']) == ['rows.csv']\n"
        "assert os.environ['MY_VAR'] == 'a=b c'\n"
        "print('loss=' + str(float(hp['x']) ** 2))\n")
    (folder / "data" / "d1" / "rows.csv").write_text("1,2\n")
    doc = base_doc(max_jobs=1, parallel=1)
    doc[D]["StaticHyperParameters"] = {"learning.rate-ä": "ünïcode value: 1/2"}
    doc[D]["Environment"] = {"MY_VAR": "a=b c"}
    doc["Local"]["Channels"] = {"train.v2-a_b": "data/d1"}
    result = TuningJob.from_dict(doc, base_dir=folder, directory=folder / "job").run(quiet=True)
    assert result["TrainingJobStatusCounters"]["Completed"] == 1, result


def test_directory_arguments_are_checked(folder: Path) -> None:
    with pytest.raises(JobConfigError) as info:
        parse_document(base_doc(), folder, directory=folder / "job\x00")
    assert info.value.path == "directory" and "NUL" in str(info.value)
    with pytest.raises(JobConfigError) as info:
        parse_document(base_doc(), str(folder) + "\ud800")
    assert info.value.path == "base_dir" and "surrogate" in str(info.value)


@pytest.mark.parametrize(("name", "content", "fragment"), [
    ("bytes.json", bytes(range(128, 256)) * 4, "not UTF-8"),
    ("deep.json", b"[" * 200_000, "nested too deeply"),
    ("digits.json", b'{"a": ' + b"9" * 5000 + b"}", "unreadable"),
    ("deep.yaml", b"a: " + b"[" * 20_000 + b"]" * 20_000, "nested too deeply"),
])
def test_unreadable_documents(name: str, content: bytes, fragment: str, folder: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    file = folder / name
    file.write_bytes(content)
    assert main(["tune", str(file)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert fragment in err


# ---------------------------------------------------------------- the launch-time second line

def _request(root: Path, channels: dict[str, Path]) -> TrainingJobRequest:
    return TrainingJobRequest(name="t-1", directory=root, command=("true",), cwd=root,
                              hyperparameters={"x": "1"}, channels=channels)


@pytest.mark.parametrize("channel", [ESCAPE, "..", ".", "a/b", "/tmp/hpo-escape-link", ""])
def test_prepare_directory_refuses_a_link_outside_input_data(channel: str,
                                                             folder: Path) -> None:
    parent = folder.parent.parent
    before = set(parent.iterdir())
    root = folder / "job"
    with pytest.raises(ExecutionError) as info:
        prepare_directory(_request(root, {channel: folder / "data" / "d1"}))
    assert info.value.action == "abort" and repr(channel) in str(info.value)
    assert set(parent.iterdir()) == before
    assert not Path("/tmp/hpo-escape-link").exists()
    assert not any(p.is_symlink() for p in folder.rglob("*"))
    with pytest.raises(ExecutionError):  # through the backend too, before any process
        LocalBackend().start(_request(root, {channel: folder / "data" / "d1"}),
                             lambda _s, _l: None)


# ---------------------------------------------------------------- the Python form

def test_python_form_is_checked_like_the_document(folder: Path) -> None:
    space = SearchSpace({"x": Categorical(["1", "2"]), "a=b": Static("1")})
    with pytest.raises(JobConfigError) as info:
        TuningJob("job", space, metric="loss", objective="Minimize",
                  command=[sys.executable, "train.py"], max_jobs=1, max_parallel=1,
                  directory=folder / "job", base_dir=folder)
    assert info.value.path.endswith("StaticHyperParameters['a=b']")
    assert json.dumps(str(info.value))
