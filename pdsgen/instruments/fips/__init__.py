"""MESSENGER FIPS EDR to CDR (seed 004):
pdsgen's built-in instrument unit (see `pdsgen.instruments`)."""

from pdsgen.instruments import Instrument

INSTRUMENT = Instrument(
    name="fips",
    package=__name__,
    title="MESSENGER FIPS EDR to CDR (seed 004)",
    algorithms={"fips_cdr": "pdsgen.instruments.fips.adapter:fips_cdr_algorithm"},
    demo="pdsgen.instruments.fips.demo",
    order=20,
)
