"""Cassini MIMI CHEMS pulse-height events (seed 002):
pdsgen's built-in instrument unit (see `pdsgen.instruments`)."""

from pdsgen.instruments import Instrument

INSTRUMENT = Instrument(
    name="chems",
    package=__name__,
    title="Cassini MIMI CHEMS pulse-height events (seed 002)",
    algorithms={"chems_pha": "pdsgen.instruments.chems.adapter:chems_pha_algorithm"},
    demo="pdsgen.instruments.chems.demo",
    order=10,
)
