"""Variants of the table rules read from validate's TableValidator (its newer releases) that
no visible case shows: how a character table's records are read (windows of record_length
bytes, decoded as UTF-8) and which message a record that does not fit gets."""

from __future__ import annotations

from test_validate_content import char_table, fchar, run

INTS = fchar(1, "A", 1, "ASCII_Integer", 3) + fchar(2, "B", 5, "ASCII_Integer", 3)
ROWS = b"  1   2\r\n  3   4\r\n  5   6\r\n"  # three 9-byte records: fields end at byte 7, then CR/LF


def kinds(found) -> list[tuple[str, int | None]]:
    return [(f.type, f.record) for f in found]


def test_the_fixed_table_read_as_it_is_described_has_no_findings(tmp_path):
    assert run(tmp_path, char_table(3, 9, INTS, 2), ROWS) == []


def test_a_field_beyond_the_record_is_a_record_length_mismatch_and_ends_the_reading(tmp_path):
    # validate's first check of the content: the first record (record_length characters)
    # must hold the fields' extent and the delimiter; else record_length_mismatch, once, and
    # no record is read (no field value, no record count) — not a table_definition_problem
    past = INTS + fchar(3, "C", 8, "ASCII_Integer", 3)  # bytes 8..10 of a 9-byte record
    assert kinds(run(tmp_path, char_table(3, 9, past, 3), ROWS)) == [("error.table.record_length_mismatch", 1)]
    # a field running into the CR/LF: 8 bytes of fields + 2 of delimiter > 9
    into = fchar(1, "A", 1, "ASCII_Integer", 3) + fchar(2, "B", 5, "ASCII_Integer", 4)
    assert kinds(run(tmp_path, char_table(3, 9, into, 2), ROWS)) == [("error.table.record_length_mismatch", 1)]
    # LF-only records where the label says CR/LF and record_length 8: 7 bytes of fields + 2 > 8
    found = run(tmp_path, char_table(3, 8, INTS, 2), b"  1   2\n  3   4\n  5   6\n")
    assert kinds(found) == [("error.table.record_length_mismatch", 1)]


def test_a_record_length_that_misses_the_delimiters_is_missing_crlf_on_every_record(tmp_path):
    # fields end at byte 6 and fit a record_length of 8, but the records are 9 bytes: the
    # 8-byte windows do not end in CR/LF (missing_CRLF, each record); the fields of the
    # shifted windows are still read (here they stay blank or numbers)
    fields = fchar(1, "A", 1, "ASCII_Integer", 3) + fchar(2, "B", 5, "ASCII_Integer", 2)
    found = run(tmp_path, char_table(3, 8, fields, 2), ROWS)
    assert [f.type for f in found] == ["error.table.missing_CRLF"] * 3
    assert found[-1].extra["count"] == 3
    # one byte longer than the records: 2 windows of 10 bytes, both end in "\n " / "\n  "
    found = run(tmp_path, char_table(2, 10, INTS, 2), ROWS)
    assert kinds(found) == [("error.table.missing_CRLF", 1), ("error.table.missing_CRLF", 2)]


def test_a_misplaced_record_delimiter_leaves_the_field_checks_on(tmp_path):
    # 10-byte windows over 9-byte records: window 3 is "x   6\r\n   ", so field A reads "x  "
    # (not an integer) while every window misses its CR/LF
    data = b"  1   2\r\n  3   4\r\n  x   6\r\n   "
    found = run(tmp_path, char_table(3, 10, INTS, 2), data)
    assert [f.record for f in found if f.type == "error.table.missing_CRLF"] == [1, 2, None]
    bad = [(f.record, f.field) for f in found if f.type == "error.table.field_value_data_type_mismatch"]
    assert bad == [(3, 1)]


def test_multi_byte_utf8_counts_in_bytes(tmp_path):
    # validate decodes each record_length window into a Java string and compares its
    # characters with record_length, so "é" (2 bytes) would make the record one short; pdsgen
    # counts bytes, as the Standards Reference defines record_length (a documented divergence)
    utf8 = fchar(1, "S", 1, "UTF8_String", 6)
    assert run(tmp_path, char_table(2, 9, utf8, 1), "abcdef \r\nabcdé \r\n".encode()) == []
    # a byte above 127 in an ASCII_String value is a value error, nothing else
    found = run(tmp_path, char_table(2, 9, utf8.replace("UTF8_String", "ASCII_String"), 1),
                b"abcdef \r\nab\xff\xffef \r\n")
    assert kinds(found) == [("error.table.field_value_data_type_mismatch", 2)]


def test_a_binary_field_beyond_the_record_cannot_be_read(tmp_path):
    # pds4-jparser's binary adapter does not compare fields with record_length; reading the
    # field in record 1 fails (FieldValueValidator: bad_field_read, fatal for the table; the
    # binary path counts no records)
    from test_validate_content import bin_table, fbin

    fields = fbin(1, "A", 1, "UnsignedByte", 1) + fbin(2, "B", 2, "UnsignedMSB2", 2)
    data = bytes([1, 0, 2, 3, 0, 4])
    assert run(tmp_path, bin_table(2, 3, fields, 2), data) == []
    past = fbin(1, "A", 1, "UnsignedByte", 1) + fbin(2, "B", 3, "UnsignedMSB2", 2)  # bytes 3..4 of 3
    assert kinds(run(tmp_path, bin_table(2, 3, past, 2), data)) == [("error.table.bad_field_read", 1)]


def test_only_validate_s_own_count_rules_are_findings(tmp_path):
    # validate counts <fields> in one rule only (TableFieldDefinitionRule: the Record_Characters'
    # fields added up against their Field_Characters) and pds4-jparser refuses a binary
    # record whose counts differ; a delimited record's or a group's counts are the
    # Schematron's. The content is read from the Field_* elements as described.
    from lxml import etree
    from test_validate_content import DFIELDS, bin_table, delimited, fbin, label

    from pdsgen.validate.pds4label import check_record_counts

    # a delimited record saying 3 fields for its 2 Field_Delimited: read with the 2, no finding
    table = delimited(2, DFIELDS, 3)
    assert run(tmp_path, table, b"1,a\r\n2,b\r\n") == []
    (tmp_path / "d.xml").write_text(label(table, "t.tab"))
    assert check_record_counts(etree.parse(str(tmp_path / "d.xml")), "x") == []
    # a binary record: the table cannot be opened (table_definition_problem), no label finding
    table = bin_table(1, 4, fbin(1, "V", 1, "SignedMSB4", 4), 3)
    assert [f.type for f in run(tmp_path, table, b"\0\0\0\7")] == ["error.label.table_definition_problem"]
    (tmp_path / "b.xml").write_text(label(table, "t.tab"))
    assert check_record_counts(etree.parse(str(tmp_path / "b.xml")), "x") == []
    # a character record of a Product_Observational: invalid_object_definition
    table = char_table(3, 9, INTS, 3)
    (tmp_path / "c.xml").write_text(label(table, "t.tab"))
    found = check_record_counts(etree.parse(str(tmp_path / "c.xml")), "x")
    assert [f.type for f in found] == ["error.label.invalid_object_definition"]
    assert "add up to 3, the tables have 2" in found[0].message


def test_a_quote_that_never_closes_is_a_fields_mismatch(tmp_path):
    # validate pairs each line with a CSV record (opencsv): the record opening a quote that
    # never closes makes the CSV reader fail (validate: fields_mismatch on that record, no
    # value checked); the next line has no record left (bad_field_read, fatal), and the
    # label's count is then reached, so no records_mismatch
    from test_validate_content import DFIELDS, delimited

    found = run(tmp_path, delimited(3, DFIELDS, 2), b'1,a\r\n2,"b\r\n3,c\r\n')
    assert sorted(kinds(found)) == [("error.table.bad_field_read", 3), ("error.table.fields_mismatch", 2)]
    # the last record: nothing is left to read after it
    found = run(tmp_path, delimited(3, DFIELDS, 2), b'1,a\r\n2,b\r\n3,"c\r\n')
    assert kinds(found) == [("error.table.fields_mismatch", 3)]
    # a quote closing on a later line is one record of 3 values over two lines
    found = run(tmp_path, delimited(3, DFIELDS, 2), b'1,a\r\n2,"b\r\nx",3\r\n4,c\r\n')
    assert [f.type for f in found] == ["error.table.fields_mismatch"]


def test_a_delimited_table_of_no_records_with_lines_after_its_offset(tmp_path):
    # validate reads the first line and asks the table reader for record 1 of 0: refused
    # (an IllegalArgumentException, reported as bad_file_read); with nothing after the
    # offset there is nothing to read
    from test_validate_content import DFIELDS, delimited

    assert kinds(run(tmp_path, delimited(0, DFIELDS, 2), b"1,a\r\n")) == [("error.table.bad_file_read", 1)]
    assert run(tmp_path, delimited(0, DFIELDS, 2), b"") == []
