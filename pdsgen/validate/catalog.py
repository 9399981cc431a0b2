"""Resolve the schema and Schematron URLs that PDS4 labels cite to local files.

Labels cite ``http(s)://pds.nasa.gov/pds4/…/*.xsd`` in ``xsi:schemaLocation`` and the
matching ``*.sch`` in ``<?xml-model href=…?>``. Validation must not depend on the network,
so URLs are mapped through an OASIS XML catalog (``uri``, ``system``, ``rewriteURI``,
``rewriteSystem``, ``uriSuffix``/``systemSuffix``, ``nextCatalog``; relative targets are
relative to the catalog file). lxml resolves catalogs only through libxml2's global
``XML_CATALOG_FILES`` (process-wide, no error reporting), so the small subset PDS uses is
read here.

With ``exclusive`` (``pdsgen validate -C``, validate's ``-C/--catalog``) the given catalog
is the only source: every schema and Schematron a label cites — http(s) URL or file beside
the label alike, made absolute first — resolves through it (the URL, then for schemas the
namespace, as validate's XMLCatalogResolver.resolveSchema/resolveSchematron try them) or
not at all; nothing is taken from the shipped schemas, the cache or the network, and what
it does not map raises `CatalogUnresolvable` (``error.catalog.unresolvable_schema`` /
``…_schematron`` / ``…_resource`` for a schema's import).

Without ``--catalog`` the default catalog is ``<user cache>/pdsgen/schemas/catalog.xml``; a
URL not found there is taken from the core schemas shipped with pdsgen (the versions it
writes), else downloaded into that cache only when downloading is allowed (not
``--offline``). A URL that cannot be resolved raises `ValidationRunError` naming the URL.

Downloads are bounded (labels are untrusted): ``http``/``https`` only, from the hosts of
`DEFAULT_SCHEMA_HOSTS` (the PDS, ESA PSA, JAXA and ISRO schema hosts; ``allowed_hosts``
replaces the list, the CLI's ``--schema-host`` adds to it), redirects only to such hosts,
at most `MAX_DOWNLOAD_BYTES` (50 MB) and `DOWNLOAD_TIMEOUT_S` per connection step and
in all. Any other URL is refused before a connection is opened.

Usage::

    cat = Catalog.load("catalog.xml", offline=True)
    path = cat.resolve("https://pds.nasa.gov/pds4/pds/v1/PDS4_PDS_1B00.xsd")
"""

from __future__ import annotations

import http.client
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from lxml import etree

from pdsgen.errors import ValidationRunError
from pdsgen.untrusted import ReferenceEscapeError, confine, xml_parser

CATALOG_NS = "urn:oasis:names:tc:entity:xmlns:xml:catalog"


def default_cache_dir() -> Path:
    """Folder of downloaded schemas (also the home of the default catalog)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("pdsgen")) / "schemas"


def _url_to_cache_path(url: str, root: Path) -> Path:
    parts = urllib.parse.urlsplit(url)
    rel = (parts.netloc + parts.path).lstrip("/")
    safe = [p for p in rel.split("/") if p not in ("", ".", "..")]
    return root.joinpath(*safe)


class CatalogUnresolvable(ValidationRunError):
    """A schema (``kind`` "schema"), Schematron ("schematron") or schema import
    ("resource") that an exclusive catalog does not map to an existing file."""

    def __init__(self, kind: str, message: str, **kw: object):
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.kind = kind

    @property
    def finding_type(self) -> str:
        return f"error.catalog.unresolvable_{self.kind}"


def absolute_reference(ref: str, base: Path | None) -> str:
    """A label's schema or Schematron reference as validate makes it absolute before the
    catalog look-up: URLs as written, a bare name as the ``file:`` URL of that name in the
    label's folder."""
    scheme = urllib.parse.urlsplit(ref).scheme
    if (scheme and not (len(scheme) == 1 and os.name == "nt")) or base is None:
        return ref
    return (base / urllib.parse.unquote(ref)).resolve().as_uri()


@dataclass
class Catalog:
    """An OASIS XML catalog (or none) plus the download cache behind it."""

    entries: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, key, target)
    path: Path | None = None
    cache_dir: Path | None = None
    offline: bool = True
    allowed_hosts: tuple[str, ...] = ()  # () means DEFAULT_SCHEMA_HOSTS
    base_dir: Path | None = None  # for relative references in labels (e.g. "PDS4_PDS_1Q00.sch")
    exclusive: bool = False  # validate's -C: the catalog alone (no shipped schemas, cache or download)
    _resolved: dict[str, Path] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        offline: bool = False,
        cache_dir: str | os.PathLike[str] | None = None,
        allowed_hosts: tuple[str, ...] = (),
        exclusive: bool = False,
    ) -> Catalog:
        """Read catalog `path`, or the default catalog in the user cache (may not exist yet).
        ``exclusive`` (with a `path`): resolve through that catalog alone (validate's ``-C``)."""
        cache = Path(cache_dir) if cache_dir else default_cache_dir()
        if path is None:
            default = cache / "catalog.xml"
            cat = cls(path=None, cache_dir=cache, offline=offline, allowed_hosts=tuple(allowed_hosts))
            if default.is_file():
                cat.entries = _read_catalog(default, set())
                cat.path = default
            return cat
        p = Path(path)
        if not p.is_file():
            raise ValidationRunError("catalog file not found", path=str(p))
        # URLs the explicit catalog does not map still go to the download cache (offline: no).
        return cls(entries=_read_catalog(p, set()), path=p, cache_dir=cache, offline=offline,
                   allowed_hosts=tuple(allowed_hosts), exclusive=exclusive)

    def lookup(self, url: str) -> Path | None:
        """Local file for `url` from the catalog entries (exact match wins, then longest rewrite)."""
        best: tuple[int, Path] | None = None
        for kind, key, target in self.entries:
            if kind in ("uri", "system") and url == key:
                return Path(target)
            if kind in ("rewriteURI", "rewriteSystem") and url.startswith(key):
                cand = Path(target + url[len(key):])
                if best is None or len(key) > best[0]:
                    best = (len(key), cand)
            elif kind in ("uriSuffix", "systemSuffix") and url.endswith(key):
                if best is None or len(key) > best[0]:
                    best = (len(key), Path(target))
        return best[1] if best else None

    def through_catalog(self, url: str, *, namespace: str | None = None, base: Path | None = None,
                        kind: str = "schema") -> Path:
        """`url` (made absolute against the label folder `base`) through the catalog entries
        alone, then `namespace` (validate's resolveSchema tries the namespace after the URL);
        the mapped file must exist. Raises `CatalogUnresolvable` (``kind``) otherwise."""
        absolute = absolute_reference(url, base)
        keys = [absolute]
        if absolute.startswith("file:///"):  # Java writes file URLs as file:/path
            keys.append("file:" + absolute[len("file://"):])
        if namespace:
            keys.append(namespace)
        for key in keys:
            found = self.lookup(key)
            if found is not None:
                if found.is_file():
                    return found
                raise CatalogUnresolvable(kind, f"Could not resolve {kind} '{absolute}' through the catalog: it "
                                          f"maps it to {found}, which does not exist", path=str(self.path))
        what = f"{kind} '{absolute}'" if kind != "resource" else f"uri '{absolute}'"
        raise CatalogUnresolvable(kind, f"Could not resolve {what} through the catalog {self.path}")

    def resolve(self, url: str, *, base: Path | None = None) -> Path:
        """Local path of `url`: catalog, then relative to `base`, then the download cache.

        Raises `ValidationRunError` naming the URL when none of these has it. Absolute URLs
        are remembered (labels of a delivery cite the same few schemas).
        """
        key = url if "://" in url and not url.startswith("file:") else None
        if key is not None and key in self._resolved:
            return self._resolved[key]
        found = self._resolve(url, base=base)
        if key is not None:
            self._resolved[key] = found
        return found

    def _resolve(self, url: str, *, base: Path | None = None) -> Path:
        if not url:
            raise ValidationRunError("empty schema reference")
        if self.exclusive:
            return self.through_catalog(url, base=base, kind="resource")
        scheme = urllib.parse.urlsplit(url).scheme
        if scheme in ("", "file") or (len(scheme) == 1 and os.name == "nt"):
            found = self.lookup(url)
            local: Path | None = Path(urllib.parse.urlsplit(url).path if scheme == "file" else url)
            if base is not None:  # a label's own reference: only inside the label's folder
                try:
                    local = confine(base, str(local), what="schema location") if scheme == "" else None
                except ReferenceEscapeError as exc:
                    if found is not None and found.is_file():
                        return found
                    raise ValidationRunError(f"{exc.message}; not read", path=str(base)) from None
                if local is None:
                    if found is not None and found.is_file():
                        return found
                    raise ValidationRunError(f"schema location {url!r} is a file: URL; a label may only cite "
                                             "schemas by http(s) URL or by a name inside its folder; not read")
            if local is not None and local.is_file():
                return local
            if found is not None and found.is_file():
                return found
            raise ValidationRunError(f"schema file {url!r} not found", path=str(local))
        found = self.lookup(url)
        if found is not None and found.is_file():
            return found
        legacy = _current_pds_url(url)
        if legacy != url:  # the PDS server redirects its old schema/released/ URLs
            found = self.lookup(legacy)
            if found is not None and found.is_file():
                return found
        shipped = bundled_schema(legacy)
        if shipped is not None:
            return shipped
        if self.cache_dir is not None:
            cached = _url_to_cache_path(url, self.cache_dir)
            if cached.is_file():
                return cached
            if not self.offline:
                return _download(url, cached, self.allowed_hosts or DEFAULT_SCHEMA_HOSTS)
        where = f" (catalog {self.path})" if self.path else ""
        why = "offline, not in the catalog" if self.offline else "not in the catalog"
        raise ValidationRunError(f"cannot resolve schema URL {url}: {why}{where}")


#: The core schemas shipped inside pdsgen (pdsgen/validate/schemas/pds/v1/): the versions
#: pdsgen writes, so its own products validate offline with no catalog at all.
BUNDLED_DIR = Path(__file__).resolve().parent / "schemas"
_PDS_HOST_PATH = "pds.nasa.gov/pds4/"


def bundled_schema(url: str) -> Path | None:
    """The shipped copy of ``http(s)://pds.nasa.gov/pds4/<ns>/v1/<file>``, if pdsgen has one."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not (parts.netloc + parts.path).startswith(_PDS_HOST_PATH):
        return None
    rel = (parts.netloc + parts.path)[len(_PDS_HOST_PATH):]
    segments = [p for p in rel.split("/") if p]
    if not segments or any(p in (".", "..") for p in segments):
        return None
    candidate = BUNDLED_DIR.joinpath(*segments)
    return candidate if candidate.is_file() else None


def _current_pds_url(url: str) -> str:
    """``…/pds4/schema/released/<ns>/v1/…`` (the old PDS layout) → ``…/pds4/<ns>/v1/…``."""
    marker = "/pds4/schema/released/"
    return url.replace(marker, "/pds4/", 1) if marker in url else url


def _read_catalog(path: Path, seen: set[Path]) -> list[tuple[str, str, str]]:
    path = path.resolve()
    if path in seen:
        return []
    seen.add(path)
    try:
        root = etree.parse(str(path), xml_parser()).getroot()
    except (OSError, etree.XMLSyntaxError) as exc:
        raise ValidationRunError(f"unreadable XML catalog: {exc}", path=str(path)) from exc
    base = path.parent
    entries: list[tuple[str, str, str]] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        kind = etree.QName(el).localname
        if kind in ("uri", "system"):
            key = el.get("name") if kind == "uri" else el.get("systemId")
            target = el.get("uri")
        elif kind in ("rewriteURI", "rewriteSystem"):
            key = el.get("uriStartString") if kind == "rewriteURI" else el.get("systemIdStartString")
            target = el.get("rewritePrefix")
        elif kind in ("uriSuffix", "systemSuffix"):
            key = el.get("uriSuffix") if kind == "uriSuffix" else el.get("systemIdSuffix")
            target = el.get("uri")
        elif kind == "nextCatalog":
            nxt = el.get("catalog")
            if nxt:
                entries.extend(_read_catalog(Path(_target(base, el, nxt, keep_slash=False)), seen))
            continue
        else:
            continue
        if key and target:
            entries.append((kind, key, str(_target(base, el, target, keep_slash=True))))
    return entries


def _target(base: Path, el: etree._Element, target: str, *, keep_slash: bool) -> str | Path:
    xml_base = el.get("{http://www.w3.org/XML/1998/namespace}base")
    if xml_base:
        base = base / xml_base
    if target.startswith("file://"):
        target = urllib.parse.urlsplit(target).path
    full = target if os.path.isabs(target) else os.path.join(str(base), target)
    if keep_slash and target.endswith("/") and not full.endswith("/"):
        full += "/"
    return full if keep_slash else Path(full)


_failed: dict[str, str] = {}  # URL → why its download failed (once per process, not per label)

#: hosts schemas may be downloaded from: the PDS (and its nodes' old host), ESA's PSA and
#: ESAC archives, JAXA's DARTS and ISRO's PRADAN — the agencies whose dictionaries labels cite
DEFAULT_SCHEMA_HOSTS = ("pds.nasa.gov", "pds.jpl.nasa.gov", "psa.esa.int", "archives.esac.esa.int",
                        "darts.isas.jaxa.jp", "data.darts.isas.jaxa.jp", "pradan.issdc.gov.in")
MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024
DOWNLOAD_TIMEOUT_S = 30.0


def download_problem(url: str, hosts: tuple[str, ...]) -> str | None:
    """Why `url` may not be downloaded (None: it may): scheme and host allow-list."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        return f"only http/https schema URLs are downloaded, not {parts.scheme or 'a bare path'!r}"
    host = (parts.hostname or "").lower()
    if host not in {h.lower() for h in hosts}:
        return (f"host {host!r} is not one schemas are downloaded from ({', '.join(hosts)}; "
                "--schema-host adds one)")
    return None


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, hosts: tuple[str, ...]):
        self.hosts = hosts

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: http.client.HTTPMessage, newurl: str) -> urllib.request.Request | None:
        problem = download_problem(newurl, self.hosts)
        if problem is not None:
            raise urllib.error.URLError(f"redirected to {newurl}: {problem}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _download(url: str, dest: Path, hosts: tuple[str, ...] = DEFAULT_SCHEMA_HOSTS) -> Path:
    """`url` into `dest` (temporary name, then rename), within the bounds above."""
    import time

    if url in _failed:
        raise ValidationRunError(_failed[url])
    problem = download_problem(url, hosts)
    if problem is not None:
        raise ValidationRunError(f"schema URL {url} not downloaded: {problem}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + f".part{os.getpid()}")
    opener = urllib.request.build_opener(_CheckedRedirects(hosts))
    deadline = time.monotonic() + DOWNLOAD_TIMEOUT_S
    try:
        with opener.open(url, timeout=DOWNLOAD_TIMEOUT_S) as resp, open(tmp, "wb") as out:
            declared = resp.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > MAX_DOWNLOAD_BYTES:
                raise OSError(f"it is {int(declared)} bytes, more than the {MAX_DOWNLOAD_BYTES} allowed")
            total = 0
            while block := resp.read(1 << 16):
                total += len(block)
                if total > MAX_DOWNLOAD_BYTES:
                    raise OSError(f"it is more than the {MAX_DOWNLOAD_BYTES} bytes allowed")
                if time.monotonic() > deadline:
                    raise OSError(f"it took more than {DOWNLOAD_TIMEOUT_S:g} s")
                out.write(block)
        os.replace(tmp, dest)
    except (OSError, ValueError) as exc:  # URLError and socket timeouts are OSErrors
        tmp.unlink(missing_ok=True)
        _failed[url] = f"cannot download schema URL {url}: {exc}"
        raise ValidationRunError(_failed[url]) from exc
    return dest
