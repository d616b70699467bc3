"""Tests of sklearn_ser.persistence._modelfile: the JSON values and the archive of a model file."""

import io

import numpy as np
import pytest
import torch

from sklearn_ser.persistence._modelfile import MEMBERS, npz_bytes, write_zip
from sklearn_ser.persistence._reader import Reader
from sklearn_ser.persistence._values import Unsavable, decode, encode


@pytest.mark.parametrize("value", [
    None, True, 3, 2.5, "text", (1, "a"), [1, [2, 3]], {"a": (1, 2), 3: None},
    np.array([[1.0, 2.0]]), np.array(["x", "y"]), torch.device("cpu"),
    torch.optim.Adam,
])
def test_encode_decode_round_trip(value):
    decoded = decode(encode(value, "p"), "p")
    if isinstance(value, np.ndarray):
        np.testing.assert_array_equal(decoded, value)
        assert decoded.dtype == value.dtype
    else:
        assert decoded == value and type(decoded) is type(value)


@pytest.mark.parametrize("value", [lambda x: x, object(), dict, np.array([object()])])
def test_values_without_a_safe_form_are_refused(value):
    with pytest.raises(Unsavable, match="parameter p"):
        encode(value, "parameter p")


@pytest.mark.parametrize("raw, match", [
    ({"__class__": "os.system"}, "names the class 'os.system'"),
    ({"__tuple__": [], "__dict__": []}, "unknown kind"),
    ({"__ndarray__": [1], "dtype": "O"}, "numeric or string array"),
])
def test_decode_refuses_what_it_does_not_know(raw, match):
    with pytest.raises(ValueError, match=match):
        decode(raw, "p")


def test_archive_round_trip_and_unexpected_members():
    members = {name: b"" for name in MEMBERS}
    members["arrays.npz"] = npz_bytes({"0/mean_": np.zeros(3)})
    buf = io.BytesIO()
    write_zip(members, buf)
    reader = Reader(io.BytesIO(buf.getvalue()))
    reader.check_members()
    np.testing.assert_array_equal(reader.arrays("arrays.npz")["0/mean_"], np.zeros(3))
    reader.close()
    buf = io.BytesIO()
    write_zip({**members, "payload.pkl": b"x"}, buf)
    reader = Reader(io.BytesIO(buf.getvalue()))
    with pytest.raises(ValueError, match="unexpected member"):
        reader.check_members()
    reader.close()
