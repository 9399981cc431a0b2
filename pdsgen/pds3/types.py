"""PDS3 DATA_TYPE / SAMPLE_TYPE → the normalised (PDS4) type names of `pdsgen.data.types`.

The table is data (PDS3 Standards Reference, appendix C "Data types"); the function
only adds the byte count and the interchange format. Types PDS4 has no name for (VAX
and IBM reals, binary booleans) are registered by `pdsgen.data.pds3_types`.
"""

from __future__ import annotations

#: Binary kinds: PDS3 spelling → (kind, byte order). kind: int, uint, real, complex, bits, bool.
BINARY_KINDS: dict[str, tuple[str, str]] = {}
for _name in ("MSB_INTEGER", "INTEGER", "MAC_INTEGER", "SUN_INTEGER", "MSB_SIGNED_INTEGER", "SIGNED_INTEGER",
              "IBM_INTEGER"):
    BINARY_KINDS[_name] = ("int", "MSB")
for _name in ("LSB_INTEGER", "PC_INTEGER", "VAX_INTEGER", "LSB_SIGNED_INTEGER"):
    BINARY_KINDS[_name] = ("int", "LSB")
for _name in ("MSB_UNSIGNED_INTEGER", "UNSIGNED_INTEGER", "MAC_UNSIGNED_INTEGER", "SUN_UNSIGNED_INTEGER",
              "IBM_UNSIGNED_INTEGER"):
    BINARY_KINDS[_name] = ("uint", "MSB")
for _name in ("LSB_UNSIGNED_INTEGER", "PC_UNSIGNED_INTEGER", "VAX_UNSIGNED_INTEGER"):
    BINARY_KINDS[_name] = ("uint", "LSB")
for _name in ("IEEE_REAL", "REAL", "FLOAT", "MAC_REAL", "SUN_REAL", "MSB_IEEE_REAL", "IEEE_FLOAT"):
    BINARY_KINDS[_name] = ("real", "MSB")
for _name in ("PC_REAL", "LSB_IEEE_REAL"):
    BINARY_KINDS[_name] = ("real", "LSB")
for _name in ("IEEE_COMPLEX", "COMPLEX", "MAC_COMPLEX", "SUN_COMPLEX", "MSB_IEEE_COMPLEX"):
    BINARY_KINDS[_name] = ("complex", "MSB")
for _name in ("PC_COMPLEX", "LSB_IEEE_COMPLEX"):
    BINARY_KINDS[_name] = ("complex", "LSB")
for _name in ("VAX_REAL", "VAX_DOUBLE", "VAXG_REAL", "VAX_G_REAL"):
    BINARY_KINDS[_name] = ("vax", "LSB")
for _name in ("VAX_COMPLEX", "VAXG_COMPLEX"):
    BINARY_KINDS[_name] = ("vaxcomplex", "LSB")
for _name in ("IBM_REAL", "IBM_DOUBLE"):
    BINARY_KINDS[_name] = ("ibm", "MSB")
for _name in ("MSB_BIT_STRING", "BIT_STRING"):
    BINARY_KINDS[_name] = ("bits", "MSB")
BINARY_KINDS["LSB_BIT_STRING"] = ("bits", "LSB")
BINARY_KINDS["VAX_BIT_STRING"] = ("bits", "LSB")
BINARY_KINDS["BOOLEAN"] = ("bool", "MSB")

#: Text types (ASCII tables, and CHARACTER fields inside binary tables).
CHARACTER_TYPES = {
    "ASCII_REAL": "ASCII_Real",
    "ASCII_INTEGER": "ASCII_Integer",
    "ASCII_UNSIGNED_INTEGER": "ASCII_NonNegative_Integer",
    "ASCII_NUMERIC_BASE2": "ASCII_Numeric_Base2",
    "ASCII_NUMERIC_BASE8": "ASCII_Numeric_Base8",
    "ASCII_NUMERIC_BASE16": "ASCII_Numeric_Base16",
    "CHARACTER": "ASCII_String",
    "ASCII_CHARACTER": "ASCII_String",
    "ASCII_STRING": "ASCII_String",
    "DATE": "ASCII_Date",
    "TIME": "ASCII_Date_Time",
    "ASCII_DATE": "ASCII_Date",
    "ASCII_TIME": "ASCII_Date_Time",
    "ASCII_COMPLEX": "ASCII_String",
    "ASCII_BOOLEAN": "ASCII_Boolean",
    "N/A": "ASCII_String",
    "SPARE": "ASCII_String",
}

#: In an ASCII table a binary-sounding type is text of that kind (common in old labels).
_ASCII_OF_KIND = {"int": "ASCII_Integer", "uint": "ASCII_NonNegative_Integer", "real": "ASCII_Real",
                  "vax": "ASCII_Real", "vaxcomplex": "ASCII_String", "ibm": "ASCII_Real", "bool": "ASCII_Boolean", "bits": "ASCII_String",
                  "complex": "ASCII_String"}

_VAX = {("VAX_REAL", 4): "VAX_F_Float", ("VAX_REAL", 8): "VAX_D_Float", ("VAX_DOUBLE", 8): "VAX_D_Float",
        ("VAXG_REAL", 8): "VAX_G_Float", ("VAX_G_REAL", 8): "VAX_G_Float",
        # Complex: real then imaginary part, each a VAX real of half the bytes.
        ("VAX_COMPLEX", 8): "VAX_F_Complex", ("VAX_COMPLEX", 16): "VAX_D_Complex",
        ("VAXG_COMPLEX", 16): "VAX_G_Complex"}


def clean_type(label_type: object) -> str:
    """Label spelling → lookup key (upper case, blanks and quotes trimmed, spaces → _)."""
    return "_".join(str(label_type).strip().strip('"').upper().split())


def normalise(label_type: object, nbytes: int | None, *, ascii_table: bool) -> str:
    """The normalised type name for a PDS3 DATA_TYPE of ``nbytes`` bytes.

    Raises ``KeyError`` for an unknown type and ``ValueError`` for a byte count the
    type does not come in.
    """
    key = clean_type(label_type)
    if key in CHARACTER_TYPES:
        return CHARACTER_TYPES[key]
    if key not in BINARY_KINDS:
        raise KeyError(key)
    kind, order = BINARY_KINDS[key]
    if ascii_table:
        return _ASCII_OF_KIND[kind]
    if kind == "bits":
        return "UnsignedBitString" if order == "MSB" else "PDS3_LSBBitString"
    if nbytes is None:
        raise ValueError(f"{key} needs a byte count")
    if kind in ("int", "uint"):
        if nbytes == 1:
            return "SignedByte" if kind == "int" else "UnsignedByte"
        if nbytes not in (2, 4, 8):
            raise ValueError(f"{key} of {nbytes} bytes")
        return f"{'Signed' if kind == 'int' else 'Unsigned'}{order}{nbytes}"
    if kind == "real":
        if nbytes == 4:
            return f"IEEE754{order}Single"
        if nbytes == 8:
            return f"IEEE754{order}Double"
        raise ValueError(f"{key} of {nbytes} bytes")
    if kind == "complex":
        if nbytes in (8, 16):
            return f"Complex{order}{nbytes}"
        raise ValueError(f"{key} of {nbytes} bytes")
    if kind in ("vax", "vaxcomplex"):
        try:
            return _VAX[(key, nbytes)]
        except KeyError:
            raise ValueError(f"{key} of {nbytes} bytes") from None
    if kind == "ibm":
        if nbytes in (4, 8):
            return "IBM_Single" if nbytes == 4 else "IBM_Double"
        raise ValueError(f"{key} of {nbytes} bytes")
    if kind == "bool":
        if nbytes in (1, 2, 4, 8):
            return f"PDS3_Boolean{nbytes}"
        raise ValueError(f"{key} of {nbytes} bytes")
    raise KeyError(key)  # pragma: no cover - every kind is handled above


def odd_size_msb_integer(label_type: object, nbytes: int) -> str | None:
    """The bit-string type (signed/unsigned) an MSB integer of 3, 5, 6 or 7 bytes is read
    as (numpy has no such integer; its bytes are one big-endian bit field), else None."""
    kind, order = BINARY_KINDS.get(clean_type(label_type), ("", ""))
    if kind in ("int", "uint") and order == "MSB" and nbytes in (3, 5, 6, 7):
        return "SignedBitString" if kind == "int" else "UnsignedBitString"
    return None


def bit_type(label_type: object) -> str:
    """BIT_DATA_TYPE → signed/unsigned bit string (bits are numbered from the MSB)."""
    # every signed integer spelling of appendix C (SUN_INTEGER, PC_INTEGER, VAX_INTEGER ...),
    # not only MSB_INTEGER / INTEGER (before, those were read unsigned: -1 as 15)
    kind, _order = BINARY_KINDS.get(clean_type(label_type), ("", ""))
    return "SignedBitString" if kind == "int" else "UnsignedBitString"
