"""MAVEN IUVS L1A dark-current trend (seed 001):
pdsgen's built-in instrument unit (see `pdsgen.instruments`)."""

from pdsgen.instruments import Instrument

INSTRUMENT = Instrument(
    name="iuvs",
    package=__name__,
    title="MAVEN IUVS L1A dark-current trend (seed 001)",
    algorithms={"iuvs_dark": "pdsgen.instruments.iuvs.adapter:iuvs_dark_algorithm"},
    demo="pdsgen.instruments.iuvs.demo",
    order=30,
)
