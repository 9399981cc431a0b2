"""The shorthand grammar: every example of seed 002, both forms, the embedded-variable
column, multi-line references, conversions and each error."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pdsgen.errors import ShorthandError
from pdsgen.shorthand import (
    ColumnId,
    Reference,
    Selector,
    parse,
    parse_conversion,
    split_conversion,
)

L = Selector  # literal
V = lambda name: Selector(name, variable=True)  # noqa: E731


def col(*parts):
    return ColumnId(tuple(parts))


# ---------------------------------------------------------------- the seed's formal examples


def test_seed_formal_single_row():
    ref = parse('dp:IACC:"sci":["Start_Ephemeris_s"]')
    assert ref == Reference("dp", "IACC", (L("sci"),), col(L("Start_Ephemeris_s")))
    assert ref.form == "formal"
    assert ref.variables == ()
    assert str(ref) == 'dp:IACC:"sci":["Start_Ephemeris_s"]'


def test_seed_formal_variable_row_and_variable_column():
    ref = parse('dp:IACC:"sci":("Start_Ephemeris_s"):[(datacolumntype)]')
    assert ref.file_type == "dp" and ref.sensor == "IACC"
    assert ref.rows == (L("sci"), V("Start_Ephemeris_s"))
    assert ref.column == col(V("datacolumntype"))
    assert ref.variables == ("Start_Ephemeris_s", "datacolumntype")
    assert ref.row_variables == ("Start_Ephemeris_s",)
    # quotes inside a (variable) are not needed for an identifier: canonical form drops them
    assert str(ref) == 'dp:IACC:"sci":(Start_Ephemeris_s):[(datacolumntype)]'


GEOM_ONE_LINE = 'cdf:"GEOM_FACTOR":"ACC":"INCA":"DETECTOR":("Particle"):("Start_Year"):("Start_DDOY"):["midpoint_value"]'
GEOM_TWO_LINES = (
    'cdf:"GEOM_FACTOR":"ACC":"INCA":"DETECTOR":("Particle"):    \n'
    '     ("Start_Year"):("Start_DDOY"):["midpoint_value"]'
)


@pytest.mark.parametrize("text", [GEOM_ONE_LINE, GEOM_TWO_LINES])
def test_seed_geom_factor_calibration_reference(text):
    ref = parse(text)
    assert ref.file_type == "cdp" and ref.spelling == "cdf"
    assert ref.sensor is None  # "The cdp does not include a sensor data type identifier"
    assert ref.rows == (
        L("GEOM_FACTOR"), L("ACC"), L("INCA"), L("DETECTOR"), V("Particle"), V("Start_Year"), V("Start_DDOY"),
    )
    assert ref.column.literal == "midpoint_value"
    assert str(ref) == 'cdp:"GEOM_FACTOR":"ACC":"INCA":"DETECTOR":(Particle):(Start_Year):(Start_DDOY):["midpoint_value"]'


def test_multi_line_reference_with_breaks_at_every_separator():
    text = 'cdp\n:\n  "GEOM_FACTOR" :\r\n ("Particle")\t:\n["midpoint_value"]'
    assert parse(text) == Reference("cdp", None, (L("GEOM_FACTOR"), V("Particle")), col(L("midpoint_value")))


# ---------------------------------------------------------------- the loose form of the algorithm texts


@pytest.mark.parametrize(
    "text, file_type, column",
    [
        ("CPHA:dp:Time_of_Flight(Microsec)", "dp", "Time_of_Flight(Microsec)"),
        ("CPHA:dp:Energy(keV)", "dp", "Energy(keV)"),
        ("CPHA:dp:DPPS_Level", "dp", "DPPS_Level"),
        ("CPHA:cdf:sep_distance(cm)", "cdp", "sep_distance(cm)"),
    ],
)
def test_seed_loose_references(text, file_type, column):
    ref = parse(text)
    assert ref.form == "loose"
    assert (ref.file_type, ref.sensor, ref.rows) == (file_type, "CPHA", ())
    assert ref.column.literal == column  # units in parentheses are part of the name
    assert str(ref) == f'{file_type}:CPHA:["{column}"]'
    assert parse(str(ref)) == ref


def test_loose_embedded_variable_column():
    ref = parse("CPHA:cdf:step_(step)_E/Q(keV/e)")
    assert ref.column == col(L("step_"), V("step"), L("_E/Q(keV/e)"))
    assert ref.variables == ("step",)
    assert ref.column.literal is None
    assert ref.column.render({"step": 3}) == "step_3_E/Q(keV/e)"
    assert ref.column.render({"step": 3.0}) == "step_3_E/Q(keV/e)"  # integral float: no ".0"
    assert str(ref) == 'cdp:CPHA:["step_"(step)"_E/Q(keV/e)"]'
    assert parse(str(ref)) == ref


def test_loose_whole_name_variable_and_leading_variable():
    assert parse("CPHA:dp:(name)").column == col(V("name"))
    assert parse("CPHA:dp:(kind)_rate(c/s)").column == col(V("kind"), L("_rate(c/s)"))


def test_loose_with_row_values_and_bracket_column():
    ref = parse('CPHA:dp:"sci":["Energy(keV)"]')
    assert ref == parse('dp:CPHA:"sci":["Energy(keV)"]')
    assert ref.form == "loose"


def test_file_type_and_sensor_case_normalised():
    assert parse('DP:cpha:"sci":["x"]') == parse('dp:CPHA:"sci":["x"]')
    assert parse("cpha:CDF:x").file_type == "cdp"


def test_sensor_on_formal_cdp_is_kept():
    ref = parse('cdp:CPHA:"cal":["sep_distance(cm)"]')
    assert ref.sensor == "CPHA" and ref.rows == (L("cal"),)


def test_quoted_variable_with_spaces_round_trips():
    ref = parse('cdp:("start time"):["x"]')
    assert ref.rows == (V("start time"),)
    assert str(ref) == 'cdp:("start time"):["x"]'
    assert parse(str(ref)) == ref


# ---------------------------------------------------------------- conversions (document lines)


def test_conversion_is_split_from_the_reference():
    line = "CPHA:dp:Time_of_Flight(Microsec)/1000000 (in seconds), the time of"
    ref, conv, end = split_conversion(line)
    assert ref.column.literal == "Time_of_Flight(Microsec)"
    assert str(conv) == "/1000000" and conv.steps == (("/", 1e6),)
    assert line[end:] == " (in seconds), the time of"
    assert conv.apply(2.5) == pytest.approx(2.5e-6)


def test_conversion_after_cdf_and_none_after_plain():
    ref, conv, _ = split_conversion("CPHA:cdf:sep_distance(cm)/100 (in m), the separation")
    assert ref.column.literal == "sep_distance(cm)" and conv.apply(10.0) == pytest.approx(0.1)
    ref, conv, end = split_conversion("CPHA:cdf:step_(step)_E/Q(keV/e), E/Q for the given step")
    assert conv is None and ref.variables == ("step",)
    ref, conv, _ = split_conversion('cdf:"X":["v"]*1e3/2')
    assert conv.steps == (("*", 1000.0), ("/", 2.0)) and conv.apply(1.0) == 500.0


def test_parse_refuses_trailing_arithmetic():
    with pytest.raises(ShorthandError) as err:
        parse("CPHA:dp:Time_of_Flight(Microsec)/1000000")
    assert err.value.position == len("CPHA:dp:Time_of_Flight(Microsec)")
    assert "conversion" in str(err.value)


def test_parse_conversion_errors():
    assert parse_conversion("  ") is None
    with pytest.raises(ShorthandError) as err:
        parse_conversion("/100 + 3")
    assert err.value.position == 4


# ---------------------------------------------------------------- errors point at the character


@pytest.mark.parametrize(
    "text, position, words",
    [
        ("", 0, "empty"),
        ('dp:IACC:"sci"', 13, "missing [column id]"),
        ('dp:IACC:"sci":', 14, "missing [column id]"),
        ('dp:IACC:"sci:["x"]', 15, "expected ':'"),
        ('dp:IACC:"sci":["x', 15, "unterminated"),
        ('dp:IACC:"sci":["x"', 14, "unterminated [column id]"),
        ('dp:IACC:sci:["x"]', 8, "bare word 'sci'"),
        ('xx:IACC:"sci":["x"]', 0, "not a file type"),
        ('CPHA:xx:Energy', 5, "expected a file type"),
        ('dp:"sci":["x"]', 0, "needs a sensor"),
        ('dp:IACC:"sci":[x]', 15, "literal"),
        ('dp:IACC:"sci":[]', 14, "empty [column id]"),
        ('dp:IACC:"sci":()', 14, "empty (variable)"),
        ('dp:IACC:"sci":(abc:["x"]', 18, "expected ')'"),
        ("CPHA:dp:a(b", 8, "unclosed '('"),
        ("CPHA:dp:ab)", 10, "unbalanced ')'"),
        ('dp:IACC:"sci":["x"] junk', 20, "unexpected text"),
        ('"sci":["x"]', 0, "file type"),
    ],
)
def test_errors_name_the_offending_character(text, position, words):
    with pytest.raises(ShorthandError) as err:
        parse(text)
    assert err.value.position == position, str(err.value)
    assert words in str(err.value)
    # the message shows the text and a caret under the offending character
    lines = str(err.value).split("\n")
    if text:
        assert lines[2].index("^") - 2 == position


def test_error_caret_lines_up_on_multi_line_text():
    text = 'cdf:"GEOM_FACTOR":\n  bad:["x"]'
    with pytest.raises(ShorthandError) as err:
        parse(text)
    assert err.value.position == text.index("bad")
    shown, caret = str(err.value).split("\n")[1:3]
    assert shown[caret.index("^")] == "b"


def test_non_text_is_an_error():
    with pytest.raises(ShorthandError):
        parse(3)  # type: ignore[arg-type]


# ---------------------------------------------------------------- round trip (property)

_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
_text = st.text(alphabet=st.characters(blacklist_characters='"\n\r', blacklist_categories=("Cs",)), min_size=1, max_size=10)
_part = st.one_of(_text.map(Selector), _names.map(lambda n: Selector(n, variable=True)))
_selector = st.one_of(_part, _names.map(lambda n: Selector(n, variable=True, latest=True)))


@given(
    file_type=st.sampled_from(["dp", "cdp"]),
    sensor=st.sampled_from(["CPHA", "IACC", "LFRT", None]),
    rows=st.lists(_selector, max_size=5),
    parts=st.lists(_part, min_size=1, max_size=3),
)
def test_canonical_form_parses_back_to_an_equal_reference(file_type, sensor, rows, parts):
    if file_type == "dp" and sensor is None:
        sensor = "CPHA"
    ref = Reference(file_type, sensor, tuple(rows), ColumnId(tuple(parts)))
    assert parse(str(ref)) == ref


# ---------------------------------------------------------------- "latest at or before" marker


def test_latest_marker_on_row_variables():
    ref = parse('cdf:"GEOM_FACTOR":("Particle"):(<= "Start_Year"):(<=Start_DDOY):["midpoint_value"]')
    assert ref.rows[2] == Selector("Start_Year", variable=True, latest=True)
    assert ref.latest_variables == ("Start_Year", "Start_DDOY")
    assert ref.variables == ("Particle", "Start_Year", "Start_DDOY")
    assert str(ref) == 'cdp:"GEOM_FACTOR":(Particle):(<=Start_Year):(<=Start_DDOY):["midpoint_value"]'
    assert parse(str(ref)) == ref
    assert ref != parse('cdf:"GEOM_FACTOR":("Particle"):("Start_Year"):("Start_DDOY"):["midpoint_value"]')


def test_latest_marker_is_not_for_columns():
    with pytest.raises(ShorthandError) as err:
        parse('cdp:"x":[(<=t)]')
    assert "row values" in str(err.value) and err.value.position == 10  # the "<"
