"""Identifier and information-model rules, checked in Python before a label is written.

PDS4 LIDs (Standards Reference §6D): ``urn:<agency>:<authority>:<bundle>[:<collection>[:<product>]]``,
lower case, characters ``a-z 0-9 - . _`` in each component, at most 255 characters;
VIDs are ``<major>.<minor>``. The information-model version (``1.22.0.0``) names its
schema file with one base-36 character per part (``1M00``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pdsgen.errors import LabelError

#: The agency:authority prefixes the core Schematron accepts.
AGENCIES = (
    "urn:nasa:pds:",
    "urn:esa:psa:",
    "urn:ros:rssa:",
    "urn:jaxa:darts:",
    "urn:isro:isda:",
    "urn:kari:kpds:",
)
_COMPONENT = re.compile(r"[a-z0-9\-._]+")
_VID = re.compile(r"[0-9]+\.[0-9]+")
_LEVELS = {"bundle": 3, "collection": 4, "product": 5}
DEFAULT_IM_VERSION = "1.22.0.0"
_B36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def check_lid(lid: str, *, level: str | None = None, what: str = "logical_identifier") -> str:
    """Return ``lid`` if it is a valid PDS4 LID (of ``level`` bundle/collection/product), else raise."""
    if not isinstance(lid, str) or not lid:
        raise LabelError(f"{what} is missing or not a string: {lid!r}")
    if len(lid) > 255:
        raise LabelError(f"{what} {lid!r} is longer than 255 characters")
    if lid != lid.lower():
        raise LabelError(f"{what} {lid!r} must be lower case")
    if "::" in lid:
        raise LabelError(f"{what} {lid!r} must not contain '::' (that is a LIDVID)")
    if not lid.startswith(AGENCIES):
        raise LabelError(f"{what} {lid!r} must start with one of {', '.join(AGENCIES)}")
    parts = lid.split(":")
    for part in parts[3:]:
        if not _COMPONENT.fullmatch(part):
            raise LabelError(
                f"{what} {lid!r}: component {part!r} may only hold a-z, 0-9, '-', '.', '_'"
            )
    depth = len(parts) - 1  # number of colons
    if not 3 <= depth <= 5:
        raise LabelError(f"{what} {lid!r} must have 1 to 3 components after the authority")
    if level is not None and depth != _LEVELS[level]:
        raise LabelError(
            f"{what} {lid!r} is not a {level} LID (urn:agency:authority:bundle"
            + (":collection" if _LEVELS[level] >= 4 else "")
            + (":product" if _LEVELS[level] >= 5 else "")
            + ")"
        )
    return lid


def check_vid(vid: str, *, what: str = "version_id") -> str:
    """Return ``vid`` if it is ``<major>.<minor>`` (digits), else raise."""
    if not isinstance(vid, str) or not _VID.fullmatch(vid):
        raise LabelError(f"{what} {vid!r} must have the form <major>.<minor>, e.g. 1.0")
    return vid


def check_lidvid(lidvid: str, *, what: str = "lidvid_reference") -> str:
    """Return ``lidvid`` if it is ``<LID>::<VID>``, else raise."""
    lid, sep, vid = str(lidvid).partition("::")
    if not sep:
        raise LabelError(f"{what} {lidvid!r} must have the form <LID>::<VID>")
    check_lid(lid, what=what)
    check_vid(vid, what=what)
    return lidvid


def check_lid_or_lidvid(ref: str, *, what: str = "reference") -> str:
    """Accept a LID or a LIDVID (for ``lid_reference``/``lidvid_reference``)."""
    return check_lidvid(ref, what=what) if "::" in ref else check_lid(ref, what=what)


@dataclass(frozen=True)
class InformationModel:
    """One PDS4 information-model version and the schema/Schematron files it is bound to."""

    version: str  # "1.22.0.0"
    code: str  # "1M00"

    namespace = "http://pds.nasa.gov/pds4/pds/v1"
    base_url = "http://pds.nasa.gov/pds4/pds/v1"

    @property
    def schema_url(self) -> str:
        return f"{self.base_url}/PDS4_PDS_{self.code}.xsd"

    @property
    def schematron_url(self) -> str:
        return f"{self.base_url}/PDS4_PDS_{self.code}.sch"

    @property
    def schema_location(self) -> str:
        """Value of ``xsi:schemaLocation`` (namespace then URL)."""
        return f"{self.namespace} {self.schema_url}"


def information_model(version: str = DEFAULT_IM_VERSION) -> InformationModel:
    """`InformationModel` for a dotted version such as ``1.22.0.0`` (schema ``PDS4_PDS_1M00``)."""
    parts = str(version).split(".")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        raise LabelError(f"information model version {version!r} must look like 1.22.0.0")
    nums = [int(p) for p in parts]
    if nums[0] != 1 or any(n >= 36 for n in nums):
        raise LabelError(f"information model version {version!r} is not a PDS4 version (1.x.y.z)")
    return InformationModel(version=version, code="".join(_B36[n] for n in nums))
