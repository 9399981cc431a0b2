"""pdsgen.times.to_time: label and table time text → astropy Time, one grammar for
`Product.start_time_as_time` and ``to_table(times="Time")``; adapters' label times
through `parse_times`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pdsgen.instruments.fips.adapter import edr_date
from pdsgen.times import MixedTimeForms, to_time


def test_day_of_year_and_iso_give_the_same_instant():
    # 2004 is a leap year: day 183 is 1 July
    doy = to_time("2004-183T00:00:38.900Z")
    iso = to_time(" 2004-07-01T00:00:38.9 ")
    assert doy.isot == iso.isot == "2004-07-01T00:00:38.900"
    assert doy.scale == "utc" and doy.isscalar


def test_arrays_one_form_each():
    t = to_time(np.array(["2004-366T23:59:59.5Z", "2005-001T00:00:00"]))
    assert list(t.isot) == ["2004-12-31T23:59:59.500", "2005-01-01T00:00:00.000"]
    assert list(to_time(np.array(["2004-07-01 00:00:00", "2004-07-02 12:00:00"])).mjd) == [53187.0, 53188.5]
    with pytest.raises(MixedTimeForms):
        to_time(np.array(["2004-183T00:00:00", "2004-07-01T00:00:00"]))
    with pytest.raises(ValueError):
        to_time("not a time")


def test_fips_edr_date_reads_day_of_year_start_times():
    # the label's day-of-year START_TIME wins over the file name's YYYYDDD
    assert edr_date("2011-100T12:00:00", Path("FIPS_R2011001CDR_V1.TAB")) == np.datetime64("2011-04-10")
    assert edr_date("2011-04-10T23:59:59.999Z", Path("x.TAB")) == np.datetime64("2011-04-10")
    assert edr_date(None, Path("FIPS_R2011001CDR_V1.TAB")) == np.datetime64("2011-01-01")
