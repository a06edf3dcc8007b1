"""Temporary: the stage wrappers (old) against the derive_seed calls that replace them (new)."""

import itertools

import numpy as np

from physlens.interpret import pipeline as ip
from physlens.representations import pipeline as rp
from physlens.seeding import derive_seed
from physlens.siamese import pipeline as sp
from physlens.su2 import learning as su2
from physlens.supervised import pipeline as sup

MASTERS = (0, 1, 7, 99, 12345, 2**31 - 1, 2**40 + 3)
NAMES = ("phase_cnn", "probe", "z2", "classifier_member0", "central_potential", "em_fields")
KEYS = (
    (),
    (8,),
    (12, 0),
    (28, 4),
    ("1x2",),
    ("probe",),
    ("model",),
    ("pairs",),
    (np.int64(5), "x"),
)


def test_old_wrappers_equal_new_calls():
    n = 0
    for m, name, keys in itertools.product(MASTERS, NAMES, KEYS):
        assert sup.model_seed(m, name, *keys) == derive_seed(m, "supervised", name, *keys)
        assert sp.stage_seed(m, name, *keys) == derive_seed(m, "siamese", name, *keys)
        assert rp.stage_seed(m, name, *keys) == derive_seed(m, rp.STAGE, name, *keys)
        assert ip.stage_seed(m, name, *keys) == derive_seed(m, ip.STAGE, name, *keys)
        n += 4
    for m, member in itertools.product(MASTERS, range(12)):
        for mem in (member, np.int64(member), str(member)):
            assert su2.model_seed(m, mem) == derive_seed(m, "su2_learning", "classifier", int(mem))
            n += 1
    assert n > 1000
