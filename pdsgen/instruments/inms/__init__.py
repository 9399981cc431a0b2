"""Cassini INMS REU source crosstalk (seed 000):
pdsgen's built-in instrument unit (see `pdsgen.instruments`)."""

from pdsgen.instruments import Instrument

INSTRUMENT = Instrument(
    name="inms",
    package=__name__,
    title="Cassini INMS REU source crosstalk (seed 000)",
    algorithms={"inms_crosstalk": "pdsgen.instruments.inms.adapter:inms_crosstalk_algorithm"},
    demo="pdsgen.instruments.inms.demo",
    order=50,
)
