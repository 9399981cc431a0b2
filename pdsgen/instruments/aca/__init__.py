"""Chandra ACA dark-current calibrations (seed 003):
pdsgen's built-in instrument unit (see `pdsgen.instruments`)."""

from pdsgen.instruments import Instrument

INSTRUMENT = Instrument(
    name="aca",
    package=__name__,
    title="Chandra ACA dark-current calibrations (seed 003)",
    algorithms={"aca_dark": "pdsgen.instruments.aca.adapter:aca_dark_algorithm"},
    demo="pdsgen.instruments.aca.demo",
    order=40,
)
