"""The context contract: what a caller (a recipe, the archive packager, a user) tells the
writers about a product. Everything computable from the data (sizes, offsets, checksums,
statistics, creation time) is NOT here: the writers compute it and hand it to the
template next to this object. See docs/writers.md for the variables templates see.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from pdsgen.errors import LabelError
from pdsgen.model import ProductIdentity


@dataclass
class ContextReference:
    """A context reference: investigation, observing-system component or target.

    ``lid_reference`` may be a LID or a LIDVID (the template picks ``lidvid_reference``
    when it holds ``::``). ``type`` is the PDS4 enumerated type (``Mission``, ``Spacecraft``,
    ``Instrument``, ``Planet`` …); PDS3 labels use ``name`` (and ``pds3_id`` when the
    PDS3 keyword wants an identifier such as ``INSTRUMENT_ID``).
    """

    name: str
    type: str
    lid_reference: str | None = None
    reference_type: str | None = None
    pds3_id: str | None = None
    description: str | None = None

    @property
    def is_lidvid(self) -> bool:
        return bool(self.lid_reference and "::" in self.lid_reference)


@dataclass
class ModificationDetail:
    """One Modification_History entry (date ``YYYY-MM-DD``)."""

    modification_date: str
    version_id: str
    description: str


@dataclass
class ProductContext:
    """Identification and provenance of one product (PDS4 and/or PDS3).

    PDS4 needs ``lid`` (product level: urn:nasa:pds:bundle:collection:product), ``vid``,
    ``title``; observational products also ``start_time``/``stop_time``,
    ``investigations``, ``observing_system`` and ``targets``. PDS3 needs ``product_id``
    (and usually ``data_set_id``). Provenance: ``input_products`` are LIDVIDs (PDS4) or
    PRODUCT_IDs (PDS3) of every input; ``calibration_files`` likewise for calibration
    products; ``recipe_name``/``recipe_version``/``parameters`` name what made it.
    ``extra`` is free for project templates (``{{ product.extra.foo }}``).
    """

    lid: str | None = None
    vid: str = "1.0"
    title: str = ""
    description: str | None = None
    start_time: Any = None
    stop_time: Any = None
    purpose: str = "Science"
    processing_level: str = "Calibrated"
    investigations: list[ContextReference] = field(default_factory=list)
    observing_system: list[ContextReference] = field(default_factory=list)
    observing_system_name: str | None = None
    targets: list[ContextReference] = field(default_factory=list)
    # provenance
    input_products: list[str] = field(default_factory=list)
    input_reference_type: str = "data_to_raw_source_product"
    #: curating facility cited for inputs that are not PDS4 LIDVIDs (PDS3 PRODUCT_IDs …)
    external_curating_facility: str = "NASA Planetary Data System"
    calibration_files: list[str] = field(default_factory=list)
    recipe_name: str | None = None
    recipe_version: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    #: identifier (an entry of input_products / calibration_files) → MD5 of what it names
    checksums: dict[str, str] = field(default_factory=dict)
    #: what the recipe noted about this product (records left out, tables used …)
    notes: list[str] = field(default_factory=list)
    modification_history: list[ModificationDetail] = field(default_factory=list)
    # PDS3 identification
    product_id: str | None = None
    data_set_id: str | None = None
    product_type: str | None = None
    pds3_keywords: dict[str, Any] = field(default_factory=dict)  # extra KEYWORD = value lines
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.investigations = [_ref(r, "investigation") for r in self.investigations]
        self.observing_system = [_ref(r, "observing_system") for r in self.observing_system]
        self.targets = [_ref(r, "target") for r in self.targets]
        self.modification_history = [
            m if isinstance(m, ModificationDetail) else ModificationDetail(**m)
            for m in self.modification_history
        ]
        self.input_products = [str(x) for x in self.input_products]
        self.calibration_files = [str(x) for x in self.calibration_files]

    @classmethod
    def coerce(cls, value: ProductContext | Mapping[str, Any] | None) -> ProductContext:
        """A `ProductContext` from itself or a mapping; unknown keys go to ``extra``."""
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        if not isinstance(value, Mapping):
            raise LabelError(f"product context must be a ProductContext or a mapping, not {type(value).__name__}")
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in value.items() if k in known}
        extra = {k: v for k, v in value.items() if k not in known}
        if extra:
            kwargs["extra"] = {**dict(kwargs.get("extra") or {}), **extra}
        return cls(**kwargs)

    # -- what templates use --------------------------------------------------------
    @property
    def identity(self) -> ProductIdentity:
        """The product's identity (its class and label file are the writer's to add)."""
        return ProductIdentity(self.lid, self.vid, title=self.title, product_id=self.product_id)

    @property
    def lidvid(self) -> str | None:
        return self.identity.lidvid

    def components(self, type_: str) -> list[ContextReference]:
        """Observing-system components of one type (``Instrument``, ``Spacecraft`` …)."""
        want = type_.lower()
        return [r for r in self.observing_system if r.type.lower() == want]

    @property
    def internal_inputs(self) -> list[str]:
        """Inputs that are PDS4 LIDVIDs (→ Source_Product_Internal)."""
        return [x for x in self.input_products if x.startswith("urn:") and "::" in x]

    @property
    def external_inputs(self) -> list[str]:
        """Inputs that are not PDS4 LIDVIDs (PDS3 PRODUCT_IDs, file names → Source_Product_External)."""
        return [x for x in self.input_products if not (x.startswith("urn:") and "::" in x)]

    @property
    def internal_calibration_files(self) -> list[str]:
        return [x for x in self.calibration_files if x.startswith("urn:")]

    @property
    def calibration_lidvids(self) -> list[str]:
        return [x for x in self.internal_calibration_files if "::" in x]

    @property
    def calibration_lids(self) -> list[str]:
        return [x for x in self.internal_calibration_files if "::" not in x]

    @property
    def external_calibration_files(self) -> list[str]:
        return [x for x in self.calibration_files if not x.startswith("urn:")]

    @property
    def provenance_text(self) -> str:
        """One-paragraph provenance statement (recipe, version, parameters)."""
        from pdsgen.render.provenance import provenance_text

        return provenance_text(self)


def _ref(value: Any, what: str) -> ContextReference:
    if isinstance(value, ContextReference):
        return value
    if isinstance(value, Mapping):
        try:
            return ContextReference(**value)
        except TypeError as exc:
            raise LabelError(f"{what} reference {dict(value)!r}: {exc}") from exc
    raise LabelError(f"{what} reference must be a ContextReference or a mapping, not {value!r}")
