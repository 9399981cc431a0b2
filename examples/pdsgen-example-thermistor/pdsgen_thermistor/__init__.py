"""Example pdsgen instrument plug-in: a housekeeping thermistor (DN → ohm → K)."""

from pdsgen.instruments import Instrument

INSTRUMENT = Instrument(
    name="thermistor",
    package=__name__,
    title="Example plug-in: housekeeping thermistor, DN to temperature (Steinhart-Hart)",
    algorithms={"thermistor_temperature": "pdsgen_thermistor.adapter:thermistor_temperature"},
    recipes=("recipe.toml",),
    demo="pdsgen_thermistor.demo",
)
