"""AMT ParameterRanges: read, write back unchanged, and clear errors with field paths."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hpo_core import SearchSpaceError
from hpo_core.space import Categorical, Continuous, Integer, SearchSpace, Static, hp_string

from .strategies import text_chars

SCALINGS = ["Auto", "Linear", "Logarithmic", "ReverseLogarithmic"]

SEED_DOC = {  # the ranges of the seed's XGBoost job
    "IntegerParameterRanges": [
        {"Name": "max_depth", "MinValue": "1", "MaxValue": "10", "ScalingType": "Auto"}],
    "ContinuousParameterRanges": [
        {"Name": "eta", "MinValue": "0.1", "MaxValue": "0.5", "ScalingType": "Auto"},
        {"Name": "alpha", "MinValue": "0", "MaxValue": "2", "ScalingType": "Auto"},
        {"Name": "min_child_weight", "MinValue": "1e-2", "MaxValue": "10",
         "ScalingType": "Logarithmic"}],
    "CategoricalParameterRanges": [],
}


@st.composite
def amt_documents(draw: Any) -> dict[str, Any]:
    names = draw(st.lists(st.text(text_chars, min_size=1, max_size=6), min_size=1, max_size=6,
                          unique=True))
    doc: dict[str, list] = {}
    for name in names:
        kind = draw(st.sampled_from(["Integer", "Continuous", "Categorical"]))
        key = f"{kind}ParameterRanges"
        if kind == "Categorical":
            entry = {"Name": name, "Values": draw(st.lists(st.text(text_chars, max_size=5),
                                                           min_size=1, max_size=4, unique=True))}
        elif kind == "Integer":
            lo = draw(st.integers(1, 1000))
            hi = draw(st.integers(lo, 10**6))
            entry = {"Name": name, "MinValue": str(lo), "MaxValue": str(hi)}
            scaling = draw(st.sampled_from([None, "Auto", "Linear", "Logarithmic"]))
            if scaling:
                entry["ScalingType"] = scaling
        else:
            lo = draw(st.floats(0.0, 0.5))
            hi = draw(st.floats(lo, 0.99))
            fmt = draw(st.sampled_from(["{!r}", "{:.3g}", "{:e}"]))
            lo_text, hi_text = fmt.format(lo), fmt.format(hi)
            if float(lo_text) > float(hi_text):
                lo_text = hi_text
            entry = {"Name": name, "MinValue": lo_text, "MaxValue": hi_text}
            scaling = draw(st.sampled_from([None, "Auto", "Linear", "ReverseLogarithmic"]))
            if scaling:
                entry["ScalingType"] = scaling
        doc.setdefault(key, []).append(entry)
    for key in ("IntegerParameterRanges", "ContinuousParameterRanges",
                "CategoricalParameterRanges"):
        if key not in doc and draw(st.booleans()):
            doc[key] = []
    return doc


@given(amt_documents())
def test_amt_document_round_trips_unchanged(doc):
    original = copy.deepcopy(doc)
    space = SearchSpace.from_sagemaker(doc)
    assert space.to_sagemaker() == original
    assert doc == original  # not mutated


def test_seed_document_reads_typed_ranges():
    space = SearchSpace.from_sagemaker(SEED_DOC, {"objective": "multi:softmax",
                                                  "num_round": "100"})
    assert space["max_depth"] == Integer(1, 10)
    assert space["min_child_weight"] == Continuous(0.01, 10.0, "log")
    assert space["objective"] == Static("multi:softmax")
    assert space.to_sagemaker() == SEED_DOC
    assert space.static_hyperparameters() == {"objective": "multi:softmax", "num_round": "100"}


@given(st.dictionaries(
    st.text(text_chars, min_size=1, max_size=5),
    st.one_of(
        st.builds(Continuous, st.floats(0.001, 1.0), st.just(10.0),
                  st.sampled_from(["linear", "log", "auto"])),
        st.builds(Integer, st.integers(1, 50), st.just(100), st.sampled_from(["linear", "log"])),
        st.lists(st.text(text_chars, max_size=4), min_size=1, max_size=4,
                 unique=True).map(Categorical)),
    min_size=1, max_size=5))
def test_python_space_survives_amt_round_trip(params):
    space = SearchSpace(params)
    again = SearchSpace.from_sagemaker(space.to_sagemaker())
    assert again.params == {n: params[n] for n in again.names}
    assert set(again.names) == set(space.names)


def test_categorical_values_are_written_as_amt_strings():
    space = SearchSpace({"c": Categorical([1, 0.5, True, None, "x"])})
    assert space.to_sagemaker() == {"CategoricalParameterRanges": [
        {"Name": "c", "Values": ["1", "0.5", "true", "null", "x"]}]}


def test_hp_string_rules():
    assert [hp_string(v) for v in (0.1, True, 3, "a b", None)] == ["0.1", "true", "3", "a b",
                                                                    "null"]


@pytest.mark.parametrize("doc, fragment", [
    ({"IntegerParameterRanges": [{"Name": "d", "MinValue": "1.5", "MaxValue": "3"}]},
     "ParameterRanges.IntegerParameterRanges[0].MinValue: expected a string holding an integer, "
     "got '1.5'"),
    ({"ContinuousParameterRanges": [{"Name": "lr", "MinValue": [0.1], "MaxValue": "1"}]},
     "ParameterRanges.ContinuousParameterRanges[0].MinValue: expected a string"),
    ({"ContinuousParameterRanges": [{"Name": "lr", "MinValue": True, "MaxValue": "1"}]},
     "ParameterRanges.ContinuousParameterRanges[0].MinValue: expected a string"),
    ({"ContinuousParameterRanges": [{"Name": "lr", "MinValue": "0", "MaxValue": "1",
                                     "ScalingType": "Logarithmic"}]},
     "(Name='lr')"),
    ({"ContinuousParameterRanges": [{"Name": "lr", "MinValue": "0", "MaxValue": "1",
                                     "Scaling": "Linear"}]},
     "unknown field(s) ['Scaling']"),
    ({"CategoricalParameterRanges": [{"Name": "c", "Values": [1, 2]}]},
     "expected a list of strings"),
    ({"IntegerRanges": []}, "ParameterRanges: unknown field(s) ['IntegerRanges']"),
    ({"IntegerParameterRanges": [{"Name": "a", "MinValue": "1", "MaxValue": "2"}],
      "CategoricalParameterRanges": [{"Name": "a", "Values": ["x"]}]},
     "duplicate parameter name 'a'"),
    ({"ContinuousParameterRanges": [{"MinValue": "0", "MaxValue": "1"}]},
     "ContinuousParameterRanges[0].Name: required field is missing"),
    ({"AutoParameters": []}, "AutoParameters: not supported"),
])
def test_bad_documents_name_the_field(doc, fragment):
    with pytest.raises(SearchSpaceError) as e:
        SearchSpace.from_sagemaker(doc)
    assert fragment in str(e.value)


def test_static_clash_is_an_error():
    with pytest.raises(SearchSpaceError, match="either tuned or static"):
        SearchSpace.from_sagemaker(SEED_DOC, {"eta": "0.3"})


def test_numbers_in_hand_written_ranges_become_amt_strings():
    ranges = {"IntegerParameterRanges": [{"Name": "d", "MinValue": 1, "MaxValue": 10}],
              "ContinuousParameterRanges": [{"Name": "lr", "MinValue": 0.001, "MaxValue": 1,
                                             "ScalingType": "Logarithmic"}],
              "CategoricalParameterRanges": [{"Name": "k", "Values": ["1", "x"]}]}
    space = SearchSpace.from_sagemaker(ranges)
    assert space.to_sagemaker() == {
        "IntegerParameterRanges": [{"Name": "d", "MinValue": "1", "MaxValue": "10"}],
        "ContinuousParameterRanges": [{"Name": "lr", "MinValue": "0.001", "MaxValue": "1",
                                       "ScalingType": "Logarithmic"}],
        "CategoricalParameterRanges": [{"Name": "k", "Values": ["1", "x"]}]}
    assert ranges["IntegerParameterRanges"][0]["MinValue"] == 1  # the input is not changed
    strings = {"IntegerParameterRanges": [{"Name": "d", "MinValue": "1", "MaxValue": "10"}],
               "ContinuousParameterRanges": [{"Name": "lr", "MinValue": "0.001",
                                              "MaxValue": "1", "ScalingType": "Logarithmic"}]}
    a, b = SearchSpace.from_sagemaker(ranges), SearchSpace.from_sagemaker(strings)
    assert a.params["d"] == b.params["d"] and a.params["lr"] == b.params["lr"]
