"""Shared fixtures for the writer tests: a complete product context and a mixed table."""

from __future__ import annotations

import numpy as np

from pdsgen.render import ProductContext

CREATED = "2026-01-01T00:00:00Z"


def context(**over) -> ProductContext:
    base = dict(
        lid="urn:nasa:pds:test_bundle:data:prod_1",
        vid="1.0",
        title="Test product & <friends>",
        start_time="2004-01-01T00:00:00Z",
        stop_time="2004-01-02T00:00:00.5Z",
        investigations=[dict(name="Cassini-Huygens", type="Mission",
                             lid_reference="urn:nasa:pds:context:investigation:mission.cassini-huygens")],
        observing_system=[
            dict(name="Cassini Orbiter", type="Host",
                 lid_reference="urn:nasa:pds:context:instrument_host:spacecraft.co"),
            dict(name="MIMI CHEMS", type="Instrument",
                 lid_reference="urn:nasa:pds:context:instrument:mimi-chems.co"),
        ],
        targets=[dict(name="Saturn", type="Planet",
                      lid_reference="urn:nasa:pds:context:target:planet.saturn")],
        input_products=["urn:nasa:pds:test_bundle:raw:r1::1.0", "CHEMS_PHA_2004001"],
        calibration_files=["urn:nasa:pds:test_bundle:calib:c1::2.0", "urn:nasa:pds:test_bundle:calib:c2"],
        recipe_name="chems_pha",
        recipe_version="1.0",
        parameters={"threshold": 3, "mode": "x<y"},
        product_id="PROD_1",
        data_set_id="PDSGEN-TEST-DATA-V1.0",
    )
    base.update(over)
    return ProductContext(**base)


def mixed_table(n: int = 50, seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    b = rng.normal(size=n) * 10.0 ** rng.integers(-30, 30, size=n)
    b[3] = np.nan
    return {
        "i8": rng.integers(-(2**62), 2**62, size=n, dtype=np.int64),
        "u2": rng.integers(0, 2**16, size=n, dtype=np.uint16),
        "f8": b,
        "f4": rng.normal(size=n).astype(np.float32),
        "name": np.array([f"row {k}" * (k % 4) for k in range(n)]),
    }


SPECIAL = {"f8": {"missing_constant": -1e32}}
