"""ISO Schematron validation with XPath 2/3 semantics: Schematron → XSLT 3.0 → saxonche.

The PDS Schematron files declare ``queryBinding="xslt2"``. lxml only ships the XSLT 1
skeleton (false failures on the PDS rules), pyschematron needs Python 3.12 and no other
maintained Python package compiles ISO Schematron for an XSLT 2/3 engine on Python 3.11, so
the compilation is hand-written here (it is small: Schematron is a thin layer over XSLT).
The compiled stylesheet runs in SaxonC-HE (`saxonche`).

Compilation (`compile_schematron`, a pure function on the .sch text):

- every ``sch:ns`` becomes a namespace declaration; schema-level ``sch:let`` a global
  variable (context: the document);
- every rule becomes one template in a single mode, with a unique descending priority in
  document order; its body evaluates the pattern's ``sch:let``s (context: the document, as
  in the ISO skeleton), the rule's ``sch:let``s (context: the rule's node), then each
  ``sch:assert``/``sch:report``, then ``xsl:next-match`` so that the rules of later
  patterns that match the same node fire too; the lowest template walks on into attributes
  and child elements. One pass over the label fires every pattern (instead of one pass per
  pattern, ~1,000 for the core PDS rules);
- "only the first matching rule of a pattern fires": rule *k* of a pattern matches
  ``(context_k) except (context_1 | … | context_k-1)`` (an XSLT 3.0 pattern);
- values: the label is first copied with the whitespace of leaf element content collapsed,
  because validate runs Schematron on what its schema-validating parser delivers (PDS
  value types are ``xs:token``-like); without it "Left to Right\\n  " fails an enumeration
  that validate passes;
- messages: text, ``sch:value-of``, ``sch:name``, ``sch:emph``/``dir``/``span`` content; a
  foreign ``<title>`` child (the PDS files carry one) is reported separately;
- abstract rules (``abstract="true"``) are inlined where ``sch:extends rule=…`` cites them;
  ``sch:include`` is inlined. Abstract patterns and phases are not supported (the PDS
  files use neither): an `UnsupportedError` says so.

Compiled stylesheets are cached on disk (``<user cache>/pdsgen/schematron/<sha256>.json``,
keyed by the hash of the .sch file and the compiler version, with a digest of the content:
a damaged file is compiled again) as `CompiledRules`: one template per rule with the
elements its context can match. Saxon compiles, once per process, only the rules that the
labels of the run can fire (`expect_elements`, told by the runner; each label is checked
against the executable it gets), and keeps the executables in memory.

API (used by the writers' tests too)::

    from pdsgen.validate.schematron import check_schematron
    findings = check_schematron("label.xml", "PDS4_PDS_1B00.sch")   # list[Finding]
    assert not [f for f in findings if f.is_error]

``check_schematron(label, sch)`` takes a label path, XML bytes or an lxml tree/element and
a local .sch path; each `Finding` has ``type`` ``error.label.schematron`` (or
``warning.``/``info.`` for rules with ``role="warning"``/``"info"``), the message text, the
file, the line of the failing node, and ``context`` (its XPath).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import threading
from collections.abc import Iterator, Mapping, Sequence, Set
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias, TypedDict

from lxml import etree

from pdsgen.errors import UnsupportedError, ValidationRunError
from pdsgen.untrusted import ReferenceEscapeError, confine, doctype_problem, xml_parser
from pdsgen.validate.findings import Finding

SCH_NS = "http://purl.oclc.org/dsdl/schematron"
XSL_NS = "http://www.w3.org/1999/XSL/Transform"
_S = f"{{{SCH_NS}}}"
_X = f"{{{XSL_NS}}}"
#: saxonche's PySaxonProcessor and PyXsltExecutable (saxonche ships no type information)
SaxonProcessor: TypeAlias = Any
SaxonExecutable: TypeAlias = Any
#: what to install when saxonche (the optional XPath-2 engine) is missing
INSTALL_HINT = "pip install 'pdsgen[schematron]'"


def available() -> bool:
    """Whether saxonche is installed (it is the ``schematron`` extra, not a core dependency)."""
    found = _found.get("saxonche")
    if found is None:
        found = _found["saxonche"] = importlib.util.find_spec("saxonche") is not None
    return found


_found: dict[str, bool] = {}


def not_run_finding(sch_names: list[str], file: str | None) -> Finding:
    """The warning a label gets when its Schematron cannot run because saxonche is missing."""
    return Finding("warning.validation.not_checked",
                   f"Schematron not run ({', '.join(sch_names)}): saxonche is not installed "
                   f"({INSTALL_HINT})", file=file)


#: bump when the generated XSLT changes, so that disk caches are invalidated
COMPILER_VERSION = "5"
_MODE = "sch"
#: the stylesheet's entry for several labels at once: a named template and its parameter
_BATCH_TEMPLATE = "pdsgen-batch"
_BATCH_PARAM = "pdsgen-labels"


# --------------------------------------------------------------------------- compile


def compile_schematron(sch_text: bytes, *, source: str = "<schematron>", confine_to: Path | None = None) -> str:
    """XSLT 3.0 stylesheet text that reports the failed asserts/successful reports of a schema.

    The stylesheet's output is ``<r><f role= loc= kind= id=><t>title</t><m>text</m></f>…</r>``.
    ``confine_to``: a label's folder for a label-local Schematron (`local_schematron_problem`
    must pass, and ``sch:include``s must stay inside it).
    """
    return compile_parts(sch_text, source=source, confine_to=confine_to).text()


def compile_parts(sch_text: bytes, *, source: str = "<schematron>", confine_to: Path | None = None) -> CompiledRules:
    """`compile_schematron`'s stylesheet as `CompiledRules`: one template per rule, each with
    the element names its context can match, so that a label runs only the rules that can fire."""
    try:
        root = etree.fromstring(sch_text, xml_parser(remove_comments=True))
    except etree.XMLSyntaxError as exc:
        raise ValidationRunError(f"malformed Schematron: {exc}", path=source) from exc
    if root.tag != _S + "schema":
        raise ValidationRunError("not an ISO Schematron schema (root is not sch:schema)", path=source)
    binding = (root.get("queryBinding") or "xslt2").lower()
    if binding not in ("xslt", "xslt2", "xslt3", "xpath2", "xpath3", "xpath31"):
        raise UnsupportedError(f"Schematron queryBinding {binding!r} is not supported", path=source)
    base = Path(source).parent if source and not source.startswith("<") else Path(".")
    _inline_includes(root, base, source, confine_to)
    if confine_to is not None:
        problem = local_schematron_problem(root, confine_to)
        if problem is not None:
            raise ValidationRunError(f"label-local Schematron not run: {problem}", path=source)

    nsmap = {"xsl": XSL_NS, "xs": "http://www.w3.org/2001/XMLSchema"}
    for ns in root.iter(_S + "ns"):
        prefix, uri = ns.get("prefix"), ns.get("uri")
        if prefix and uri is not None and prefix not in ("xsl",):
            nsmap[prefix] = uri
    sheet = etree.Element(_X + "stylesheet", nsmap=nsmap)
    sheet.set("version", "3.0")
    sheet.set("exclude-result-prefixes", "#all")
    out = etree.SubElement(sheet, _X + "output", method="xml", indent="no")
    out.set("encoding", "UTF-8")

    for let in root.findall(_S + "let"):
        _variable(sheet, let, global_=True)

    abstract = {r.get("id"): r for r in root.iter(_S + "rule") if r.get("abstract") == "true"}
    patterns = [p for p in root.iter(_S + "pattern")]
    rules: list[tuple[etree._Element, etree._Element, str]] = []  # (pattern, rule, match)
    for pat in patterns:
        if pat.get("abstract") == "true" or pat.get("is-a"):
            raise UnsupportedError("abstract Schematron patterns are not supported", path=source)
        earlier: list[str] = []
        for rule in pat.findall(_S + "rule"):
            if rule.get("abstract") == "true":
                continue
            ctx = (rule.get("context") or "").strip()
            if not ctx:
                raise ValidationRunError("sch:rule without context", path=source)
            match = f"({ctx})" if not earlier else f"({ctx}) except ({' | '.join(earlier)})"
            earlier.append(ctx)
            rules.append((pat, rule, match))

    # Values as a schema-validating parser (validate's Xerces) hands them to Schematron:
    # whitespace of simple (leaf) element content collapsed, as the PDS token types say.
    # The copy costs about as much as the rules, so `check_schematron` collapses the values on
    # its lxml tree and sets pdsgen-normalise only for labels lxml cannot parse.
    param = etree.SubElement(sheet, _X + "param", name="pdsgen-normalise", select="true()")
    param.set("as", "xs:boolean")
    top = etree.SubElement(sheet, _X + "template", match="/")
    r_el = etree.SubElement(top, "r")
    choose = etree.SubElement(r_el, _X + "choose")
    when = etree.SubElement(choose, _X + "when", test="$pdsgen-normalise")
    norm = etree.SubElement(when, _X + "variable", name="pdsgen-normalised")
    etree.SubElement(norm, _X + "apply-templates", select=".", mode="pdsgen-norm")
    etree.SubElement(when, _X + "apply-templates", select="$pdsgen-normalised", mode=_MODE)
    otherwise = etree.SubElement(choose, _X + "otherwise")
    etree.SubElement(otherwise, _X + "apply-templates", select=".", mode=_MODE)
    # several labels in one transform (`check_schematron_batch`): each label's text parsed
    # into a document of its own (its own root for "/", root(.) and path()), one <r> each
    labels = etree.SubElement(sheet, _X + "param", name=_BATCH_PARAM, select="()")
    labels.set("as", "xs:string*")
    batch = etree.SubElement(sheet, _X + "template", name=_BATCH_TEMPLATE)
    each = etree.SubElement(etree.SubElement(batch, "b"), _X + "for-each", select=f"${_BATCH_PARAM}")
    etree.SubElement(each, _X + "apply-templates", select="parse-xml(.)")
    etree.SubElement(sheet, _X + "mode", name="pdsgen-norm", **{"on-no-match": "shallow-copy"})
    leaf = etree.SubElement(sheet, _X + "template", match="*[not(*)]/text()", mode="pdsgen-norm")
    etree.SubElement(leaf, _X + "value-of", select="normalize-space(.)")

    n = len(rules)
    contexts: list[frozenset[str] | None] = []
    for i, (pat, rule, match) in enumerate(rules):
        sheet.append(etree.Comment(_RULE_MARK))
        contexts.append(context_elements((rule.get("context") or "").strip(), nsmap))
        tpl = etree.SubElement(sheet, _X + "template", match=match, mode=_MODE, priority=str(n - i + 1))
        for let in pat.findall(_S + "let"):
            _variable(tpl, let, document_context=True)
        role = rule.get("role")
        for child in _rule_body(rule, abstract, source):
            if child.tag == _S + "let":
                _variable(tpl, child)
            elif child.tag in (_S + "assert", _S + "report"):
                _assertion(tpl, child, role)
        etree.SubElement(tpl, _X + "next-match")

    sheet.append(etree.Comment(_RULE_MARK))
    walk = etree.SubElement(
        sheet, _X + "template", match="document-node()|*|@*", mode=_MODE, priority="0"
    )
    etree.SubElement(walk, _X + "apply-templates", select="@*|*", mode=_MODE)
    head, *templates, tail = etree.tostring(sheet, encoding="unicode").split(f"<!--{_RULE_MARK}-->")
    return CompiledRules(head, [(names, text) for names, text in zip(contexts, templates, strict=True)], tail)


#: the comment that separates the rule templates in the generated stylesheet's text
_RULE_MARK = "pdsgen-rule"
#: one step of a pattern that names an element: ``prefix:name`` (optionally ``child::``)
_ELEMENT_STEP = re.compile(r"^(?:child::)?([A-Za-z_][\w.\-]*):([A-Za-z_][\w.\-]*)$")


def context_elements(context: str, nsmap: dict[str, str]) -> frozenset[str] | None:
    """The elements (Clark names) a rule context can match, or None when that cannot be told
    from its text (a wildcard, an attribute, a function, an unprefixed name, …: the rule is
    then always run). Each ``|`` alternative's last step, predicates dropped, must be a
    prefixed element name: ``pds:File_Area_Observational//pds:Field_Character[…]``."""
    alternatives: list[tuple[str, bool]] = []  # (text outside predicates, has parentheses/quotes)
    cur: list[str] = []
    depth, quote, odd = 0, "", False
    for ch in context:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote, odd = ch, odd or depth == 0
        elif ch in "([":
            odd = odd or (ch == "(" and depth == 0)
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif depth == 0 and ch == "|":
            alternatives.append(("".join(cur), odd))
            cur, odd = [], False
        elif depth == 0:
            cur.append(ch)
    alternatives.append(("".join(cur), odd))
    names = set()
    for alt, odd in alternatives:
        m = _ELEMENT_STEP.match(alt.strip().rsplit("/", 1)[-1].strip())
        if odd or m is None or m.group(1) not in nsmap:
            return None
        names.add(f"{{{nsmap[m.group(1)]}}}{m.group(2)}")
    return frozenset(names) if names else None


class CompiledRulesJson(TypedDict):
    """`CompiledRules` as JSON (the disk cache): each rule as [element names or None, template text]."""

    compiler: str
    head: str
    tail: str
    rules: list[list[list[str] | str | None]]
    sha256: str


class CompiledRules:
    """A compiled Schematron: the stylesheet's text as head, one template per rule (with the
    elements its context can match, None: any) and tail. `text` joins them, keeping every
    rule or only those given: a rule whose context matches no element of a label cannot fire
    on it, so leaving it out changes no finding (and Saxon compiles a third of the text)."""

    def __init__(self, head: str, rules: list[tuple[frozenset[str] | None, str]], tail: str):
        self.head, self.rules, self.tail = head, rules, tail
        self._locals = [None if names is None else frozenset(n.rsplit("}", 1)[-1] for n in names)
                        for names, _text in rules]
        #: every element some rule names, and the rules of each
        self.by_element: dict[str, set[int]] = {}
        for i, (names, _text) in enumerate(rules):
            for n in names or ():
                self.by_element.setdefault(n, set()).add(i)
        self.elements = frozenset(self.by_element)

    def covered(self, keep: frozenset[int] | None) -> frozenset[str] | None:
        """The elements all of whose rules are among `keep` (None: every rule kept)."""
        if keep is None:
            return None
        return frozenset(n for n, rules in self.by_element.items() if rules <= keep)

    def text(self, keep: frozenset[int] | None = None) -> str:
        """The stylesheet with every rule (None) or the rules of the indices `keep`."""
        return "".join((self.head, *(t for i, (_n, t) in enumerate(self.rules) if keep is None or i in keep),
                        self.tail))

    def needed(self, elements: set[str] | frozenset[str]) -> frozenset[int]:
        """Indices of the rules that can fire on a document with these elements (Clark names)."""
        return frozenset(i for i, (names, _t) in enumerate(self.rules) if names is None or not names.isdisjoint(elements))

    def needed_by_local_names(self, local_names: set[str] | frozenset[str]) -> frozenset[int]:
        """As `needed`, from local names only (a superset: namespaces not told apart)."""
        return frozenset(i for i, names in enumerate(self._locals) if names is None or not names.isdisjoint(local_names))

    def to_json(self) -> CompiledRulesJson:
        """A JSON-able dict with a digest of its content (`from_json` checks it)."""
        rules = [[None if n is None else sorted(n), t] for n, t in self.rules]
        return {"compiler": COMPILER_VERSION, "head": self.head, "tail": self.tail, "rules": rules,
                "sha256": _digest(self.head, self.tail, rules)}

    @classmethod
    def from_json(cls, data: object) -> CompiledRules:
        """From `to_json`'s dict; ValueError if it is not one (a damaged cache file)."""
        if not isinstance(data, dict) or data.get("compiler") != COMPILER_VERSION:
            raise ValueError("not a compiled Schematron of this version")
        head, tail, rules = data.get("head"), data.get("tail"), data.get("rules")
        if not isinstance(head, str) or not isinstance(tail, str) or not isinstance(rules, list):
            raise ValueError("not a compiled Schematron")
        out = []
        for item in rules:
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[1], str)
                    and (item[0] is None or isinstance(item[0], list))):
                raise ValueError("not a compiled Schematron rule")
            out.append((None if item[0] is None else frozenset(map(str, item[0])), item[1]))
        if data.get("sha256") != _digest(head, tail, rules):
            raise ValueError("compiled Schematron damaged (digest differs)")
        return cls(head, out, tail)


def _digest(head: str, tail: str, rules: Sequence[object]) -> str:
    return hashlib.sha256(json.dumps([head, tail, rules]).encode("utf-8")).hexdigest()


def _inline_includes(root: etree._Element, base: Path, source: str, confine_to: Path | None = None) -> None:
    for inc in list(root.iter(_S + "include")):
        href = inc.get("href") or ""
        try:
            if confine_to is not None:  # the .sch is inside the label's folder: so must its includes be
                target = Path(confine(confine_to, os.path.relpath(base / href.split("#", 1)[0], confine_to),
                                      label=source, what="sch:include"))
            else:
                target = base / href.split("#", 1)[0]
            included = etree.parse(str(target), xml_parser(remove_comments=True)).getroot()
        except ReferenceEscapeError as exc:
            raise ValidationRunError(f"label-local Schematron not run: {exc.message}", path=source) from exc
        except (OSError, etree.XMLSyntaxError) as exc:
            raise ValidationRunError(f"sch:include {href!r}: {exc}", path=source) from exc
        inc.getparent().replace(inc, included)


def _rule_body(rule: etree._Element, abstract: Mapping[str | None, etree._Element], source: str,
               depth: int = 0) -> Iterator[etree._Element]:
    if depth > 20:
        raise ValidationRunError("sch:extends cycle", path=source)
    for child in rule:
        if child.tag == _S + "extends":
            target = abstract.get(child.get("rule"))
            if target is None:
                raise ValidationRunError(f"sch:extends: no abstract rule {child.get('rule')!r}", path=source)
            yield from _rule_body(target, abstract, source, depth + 1)
        else:
            yield child


def _variable(parent: etree._Element, let: etree._Element, *, global_: bool = False,
              document_context: bool = False) -> None:
    name = let.get("name")
    value = let.get("value")
    var = etree.SubElement(parent, _X + "variable", name=name)
    if value is None:  # content-valued let (a constructed node)
        for child in let:
            var.append(child)
        var.text = let.text
        return
    if document_context:
        value = f"root(.)/({value})"
    var.set("select", value)


def _assertion(tpl: etree._Element, el: etree._Element, rule_role: str | None) -> None:
    test = el.get("test") or "true()"
    is_assert = el.tag == _S + "assert"
    cond = etree.SubElement(tpl, _X + "if", test=f"not(({test}))" if is_assert else f"({test})")
    f = etree.SubElement(cond, "f", kind="assert" if is_assert else "report")
    role = el.get("role") or rule_role
    if role:
        f.set("role", role)
    if el.get("id"):
        f.set("id", el.get("id"))
    f.set("test", test)
    loc = etree.SubElement(f, _X + "attribute", name="loc", select="path()")
    assert loc is not None
    titles = [t for t in el if isinstance(t.tag, str) and etree.QName(t).localname == "title"
              and etree.QName(t).namespace != SCH_NS]
    if titles:
        t = etree.SubElement(f, "t")
        t.text = " ".join("".join(x.itertext()) for x in titles)
    m = etree.SubElement(f, "m")
    _message(m, el)


def _message(out: etree._Element, el: etree._Element) -> None:
    """Copy a message's mixed content as xsl:text / xsl:value-of, skipping <title>."""
    if el.text:
        etree.SubElement(out, _X + "text").text = el.text
    for child in el:
        if not isinstance(child.tag, str):
            pass
        elif child.tag == _S + "value-of":
            etree.SubElement(out, _X + "value-of", select=child.get("select") or ".")
        elif child.tag == _S + "name":
            path = child.get("path") or "."
            etree.SubElement(out, _X + "value-of", select=f"name({path})")
        elif etree.QName(child).localname == "title" and etree.QName(child).namespace != SCH_NS:
            pass
        else:  # sch:emph, sch:dir, sch:span, foreign markup: keep the text
            _message(out, child)
        if child.tail:
            etree.SubElement(out, _X + "text").text = child.tail


# --------------------------------------------------------------------------- label-local Schematron

#: XPath functions that read resources, run code or leak the environment
_ACCESS = re.compile(
    r"(?<![\w.\-])(?:[\w\-]+:|Q\{[^}]*\})?"
    r"(unparsed-text(?:-lines|-available)?|doc(?:-available)?|document|collection|uri-collection|json-doc"
    r"|transform|load-xquery-module|environment-variable|available-environment-variables|function-lookup"
    r"|system-property)\s*(\(|#)")
_LITERAL_ARG = re.compile(r"\s*(?:'([^']*)'|\"([^\"]*)\")\s*[,)]")
_READERS = {"unparsed-text", "unparsed-text-lines", "unparsed-text-available", "doc", "doc-available",
            "document", "collection", "uri-collection", "json-doc"}
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def local_schematron_problem(root: etree._Element, label_dir: Path) -> str | None:
    """Why a label-local Schematron may not run (None: it may).

    It may not embed XSLT instructions (``xsl:result-document`` and the like) or bind the
    Saxon or Java extension namespaces, and its resource functions (``unparsed-text``,
    ``doc``, ``document``, ``collection``, …) may only name, as a string literal, a file
    inside the label's folder; functions that run code or read the environment are refused."""
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if etree.QName(el).namespace == XSL_NS:
            return f"it embeds XSLT ({etree.QName(el).localname}); not allowed in a label-local Schematron"
        if el.tag == _S + "ns" and re.search(r"saxon|^java:|^clitype:", el.get("uri") or "", re.I):
            return f"it binds the extension namespace {el.get('uri')!r}"
        for value in el.attrib.values():
            for m in _ACCESS.finditer(value):
                name = m.group(1)
                if name not in _READERS or m.group(2) == "#":
                    return f"it calls {name}(), which a label-local Schematron may not use"
                arg = _LITERAL_ARG.match(value, m.end())
                if arg is None:
                    return f"{name}() is given a computed argument; only a literal file name is allowed"
                ref = arg.group(1) if arg.group(1) is not None else arg.group(2)
                if _SCHEME.match(ref):
                    return f"{name}({ref!r}) names a URI; only a file inside the label's folder is allowed"
                try:
                    confine(label_dir, ref, what=f"{name}() argument")
                except ReferenceEscapeError as exc:
                    return exc.message
    return None


# --------------------------------------------------------------------------- cache


def cache_dir() -> Path:
    """Where compiled Schematrons are kept: ``<user cache>/pdsgen/schematron`` (never a
    folder being validated)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("pdsgen")) / "schematron"


def compiled_rules(sch_path: str | os.PathLike[str], *, confine_to: Path | None = None,
                   refresh: bool = False) -> CompiledRules:
    """The compiled `sch_path`, from the disk cache or compiled and cached now.

    The cache file (``<sha256 of compiler version and .sch bytes>.json``) changes with the
    .sch file's content; one that cannot be read or is damaged is compiled again and
    replaced, as with ``refresh``. ``confine_to``: the label's folder of a label-local
    Schematron (checked, never cached)."""
    p = Path(sch_path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ValidationRunError(f"cannot read Schematron: {exc.strerror}", path=str(p)) from exc
    if confine_to is not None:
        return compile_parts(data, source=str(p), confine_to=confine_to)
    key = hashlib.sha256(COMPILER_VERSION.encode() + b"\0" + data).hexdigest()
    cache = cache_dir() / f"{key}.json"
    if not refresh:
        try:
            return CompiledRules.from_json(json.loads(cache.read_bytes()))
        except (OSError, ValueError):  # absent, unreadable or damaged: compiled again below
            pass
    rules = compile_parts(data, source=str(p))
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(rules.to_json()), encoding="utf-8")
        os.replace(tmp, cache)
    except OSError:  # a read-only cache is not a reason to fail validation
        pass
    return rules


def compiled_xslt(sch_path: str | os.PathLike[str], *, confine_to: Path | None = None) -> str:
    """The whole compiled XSLT for `sch_path` (`compiled_rules`, every rule)."""
    return compiled_rules(sch_path, confine_to=confine_to).text()


# --------------------------------------------------------------------------- run

_lock = threading.Lock()
_state: dict[str, Any] = {}


class _Compiled:
    """One Schematron file in this process: its rules and the Saxon executables compiled
    from them so far, each with the rule indices it holds (None: all)."""

    def __init__(self, rules: CompiledRules):
        self.rules = rules
        #: (rule indices kept or None: all, executable, elements all of whose rules it holds or None: all)
        self.executables: list[tuple[frozenset[int] | None, SaxonExecutable, frozenset[str] | None]] = []
        self.pruned = 0  # executables compiled with some rules left out


_executables: dict[str, _Compiled] = {}
#: element local names expected per Schematron file (`expect_elements`)
_expected: dict[str, frozenset[str]] = {}
#: executables of one Schematron compiled with rules left out, before all its rules are compiled
MAX_PRUNED = 3


def expect_elements(expected: Mapping[str, Set[str]]) -> None:
    """Tell which element local names the labels of a run that cite each Schematron file
    (resolved path) hold. The first compilation then keeps the rules any of them needs and
    later labels reuse it; without it each executable holds the rules of the label that
    asked for it. Only a hint: a label is always run with every rule that can fire on it."""
    _expected.clear()
    _expected.update({str(k): frozenset(v) for k, v in expected.items()})


def expected_elements() -> dict[str, frozenset[str]]:
    """What `expect_elements` was last told (for worker processes)."""
    return dict(_expected)


def saxon_started() -> bool:
    """Whether this process has started SaxonC (then it must not fork workers)."""
    return _state.get("pid") == os.getpid()


#: Saxon settings of every processor: its XML parser refuses any DOCTYPE (so no entity of a
#: label is ever expanded, nor a DTD loaded), and stylesheets may open no URI at all — or
#: only ``file:`` ones for label-local Schematron, whose file names are checked statically
#: (`local_schematron_problem`) to stay in the label's folder. No network from Saxon, ever.
_DISALLOW_DOCTYPE = ("http://saxon.sf.net/feature/parserFeature?uri="
                     "http%3A//apache.org/xml/features/disallow-doctype-decl")
_ALLOWED_PROTOCOLS = "http://saxon.sf.net/feature/allowedProtocols"


def _processor(local: bool = False) -> SaxonProcessor:
    """The process's Saxon processor (``local``: the one for label-local Schematron)."""
    if _state.get("pid") != os.getpid():
        _state.clear()
        _state["pid"] = os.getpid()
        _executables.clear()
    name = "local" if local else "proc"
    proc = _state.get(name)
    if proc is None:
        if not available():
            raise ValidationRunError(f"cannot run Schematron: saxonche is not installed ({INSTALL_HINT})")
        from saxonche import PySaxonProcessor

        proc = PySaxonProcessor(license=False)
        proc.set_configuration_property(_DISALLOW_DOCTYPE, "true")
        proc.set_configuration_property(_ALLOWED_PROTOCOLS, "file" if local else "")
        _state[name] = proc
        _state[f"{name}-xslt"] = proc.new_xslt30_processor()
    return proc


def _executable(sch_path: str | os.PathLike[str], confine_to: Path | None = None,
                elements: set[str] | None = None) -> SaxonExecutable:
    """The Saxon executable that runs `sch_path` on a label with these `elements` (Clark
    names; None: unknown, every rule): one compiled before that holds every rule the label
    needs, else one compiled now with them (and those `expect_elements` announced)."""
    p = str(sch_path)
    try:
        st = os.stat(p)
    except OSError as exc:
        raise ValidationRunError(f"cannot read Schematron: {exc.strerror}", path=p) from exc
    key = f"{p}:{st.st_mtime_ns}:{st.st_size}:{confine_to}"
    local = confine_to is not None
    with _lock:
        _processor(local)
        entry = _executables.get(key)
        if entry is None:
            entry = _executables[key] = _Compiled(compiled_rules(sch_path, confine_to=confine_to))
        if elements is not None and not local:
            relevant = entry.rules.elements.intersection(elements)
            for _kept, exe, covered in entry.executables:
                if covered is None or relevant <= covered:
                    return exe
        needed = None if elements is None or local else entry.rules.needed(elements)
        for kept, exe, _covered in entry.executables:
            if kept is None or (needed is not None and needed <= kept):
                return exe
        keep = None
        if needed is not None and entry.pruned < MAX_PRUNED:
            keep = needed | entry.rules.needed_by_local_names(_expected.get(p, frozenset()))
            if len(keep) == len(entry.rules.rules):
                keep = None
        keep, exe = _compile(entry, p, keep, confine_to)
        entry.executables.append((keep, exe, entry.rules.covered(keep)))
        entry.pruned += keep is not None
        return exe


def _compile(entry: _Compiled, p: str, keep: frozenset[int] | None,
             confine_to: Path | None) -> tuple[frozenset[int] | None, SaxonExecutable]:
    """(rules kept, Saxon executable) of `entry`'s rules (`keep`); a cached stylesheet Saxon
    rejects is compiled again from the .sch file, with every rule, once."""
    xslt = _state["local-xslt" if confine_to is not None else "proc-xslt"]
    if confine_to is not None:  # relative file names resolve against the label's folder
        xslt.set_cwd(str(confine_to) + os.sep)
    for attempt in (0, 1):
        try:
            exe = xslt.compile_stylesheet(stylesheet_text=entry.rules.text(keep))
        except Exception as exc:  # saxonche raises PySaxonApiError
            if attempt == 0 and confine_to is None:
                entry.rules, keep = compiled_rules(p, refresh=True), None
                continue
            raise ValidationRunError(f"Schematron does not compile: {exc}", path=p) from exc
        if exe is None:
            raise ValidationRunError("Schematron does not compile", path=p)
        return keep, exe
    raise AssertionError("unreachable")


@dataclass
class _Prepared:
    """A label as Saxon is handed it: its lxml tree (None: lxml could not parse it), the
    bytes to parse, the file named in findings, and its element names (None: unknown)."""

    tree: etree._ElementTree | None
    xml: bytes
    file: str | None
    elements: set[str] | None


def _prepare(label: str | os.PathLike[str] | bytes | etree._ElementTree | etree._Element, *,
             file: str | None, xml: bytes | None) -> _Prepared | list[Finding]:
    """The label ready for Saxon, or the findings that stop it (a DOCTYPE declaring entities)."""
    tree: etree._ElementTree | None = None
    if isinstance(label, (etree._ElementTree, etree._Element)):
        tree = label if isinstance(label, etree._ElementTree) else label.getroottree()
        if xml is None:
            xml = etree.tostring(tree, encoding="UTF-8")
        file = file or (tree.docinfo.URL if tree.docinfo.URL else None)
    elif isinstance(label, bytes):
        xml = label
    else:
        file = file or str(label)
        try:
            xml = Path(label).read_bytes()
        except OSError as exc:
            raise ValidationRunError(f"cannot read label: {exc.strerror}", path=str(label)) from exc
    assert xml is not None
    if tree is None:
        try:
            tree = etree.ElementTree(etree.fromstring(xml, xml_parser()))
        except etree.XMLSyntaxError:
            return _Prepared(None, xml, file, None)  # Saxon collapses the values itself
    refused = doctype_problem(tree)
    if refused is not None:
        return [Finding("error.label.schema", refused, file=file, line=1)]
    if tree.docinfo.doctype:  # a bare DOCTYPE: hand Saxon the document without it
        xml = etree.tostring(tree.getroot(), encoding="UTF-8")
    with _lock:  # (guards the shared compiled XPath of _collapsed_xml)
        collapsed = _collapsed_xml(tree)
    if collapsed is not None:
        xml = collapsed
        if tree.docinfo.doctype:
            xml = etree.tostring(etree.fromstring(collapsed, xml_parser()), encoding="UTF-8")
    return _Prepared(tree, xml, file, {el.tag for el in tree.iter(etree.Element)})


def check_schematron(
    label: str | os.PathLike[str] | bytes | etree._ElementTree | etree._Element,
    sch_path: str | os.PathLike[str],
    *,
    file: str | None = None,
    xml: bytes | None = None,
    local_to: Path | None = None,
) -> list[Finding]:
    """Run Schematron `sch_path` on `label`; one `Finding` per failed assert / fired report.

    `xml`: the label's bytes when `label` is its parsed tree (spares serialising it again).
    `local_to`: the label's folder when `sch_path` is a label-local Schematron (run only
    after `local_schematron_problem` passes, its file access limited to that folder).
    A label whose DOCTYPE declares entities gets one ``error.label.schema`` finding and is
    not handed to Saxon; Saxon only ever sees documents without a DOCTYPE."""
    prepared = _prepare(label, file=file, xml=xml)
    if isinstance(prepared, list):
        return prepared
    return _run_one(_executable(sch_path, local_to, prepared.elements), prepared, sch_path, local_to is not None)


def _run_one(exe: SaxonExecutable, prepared: _Prepared, sch_path: str | os.PathLike[str], local: bool) -> list[Finding]:
    """The findings of one transform of one label (`ValidationRunError` if Saxon fails)."""
    with _lock:
        proc = _processor(local)
        try:
            doc = proc.parse_xml(xml_text=_xml_text(prepared.xml))
            exe.set_parameter("pdsgen-normalise", proc.make_boolean_value(prepared.tree is None))
            result = exe.apply_templates_returning_string(xdm_value=doc)
        except Exception as exc:
            raise ValidationRunError(f"Schematron {Path(sch_path).name} failed to run: {exc}",
                                     path=prepared.file) from exc
    if not result:
        return []
    return _findings(etree.fromstring(result.encode("utf-8")), prepared, sch_path)


def check_schematron_batch(labels: list[tuple[etree._ElementTree, bytes | None, str]],
                           sch_path: str | os.PathLike[str]) -> list[list[Finding] | ValidationRunError]:
    """`check_schematron` (tree, `sch_path`, file=, xml=) of each (tree, bytes, file) label, with
    one Saxon transform per executable for all of them instead of one per label: the labels'
    texts go in as a sequence, each is parsed into a document of its own and gets its own
    result, in order, so every label's findings are exactly those it gets alone.

    A label whose run fails gets its `ValidationRunError` (as `check_schematron` would
    raise it); when a transform of several labels fails, each of them is run alone."""
    out: list[list[Finding] | ValidationRunError] = []
    groups: dict[int, tuple[SaxonExecutable, list[tuple[int, _Prepared]]]] = {}
    for i, (tree, xml, file) in enumerate(labels):
        out.append([])
        try:
            prepared = _prepare(tree, file=file, xml=xml)
            if isinstance(prepared, list):
                out[i] = prepared
                continue
            exe = _executable(sch_path, None, prepared.elements)
        except ValidationRunError as exc:
            out[i] = exc
            continue
        groups.setdefault(id(exe), (exe, []))[1].append((i, prepared))
    for exe, members in groups.values():
        results = _run_batch(exe, [p.xml for _i, p in members]) if len(members) > 1 else None
        for k, (i, prepared) in enumerate(members):
            try:
                out[i] = (_findings(results[k], prepared, sch_path) if results is not None else
                          _run_one(exe, prepared, sch_path, False))
            except ValidationRunError as exc:
                out[i] = exc
    return out


def _run_batch(exe: SaxonExecutable, texts: list[bytes]) -> list[etree._Element] | None:
    """One ``<r>`` result per label text from a single transform; None if it fails."""
    with _lock:
        proc = _processor(False)
        try:
            seq = proc.empty_sequence()
            for xml in texts:
                seq.add_xdm_item(proc.make_string_value(_xml_text(xml)))
            exe.set_parameter("pdsgen-normalise", proc.make_boolean_value(False))
            exe.set_parameter(_BATCH_PARAM, seq)
            try:
                result = exe.call_template_returning_string(_BATCH_TEMPLATE)
            finally:
                exe.remove_parameter(_BATCH_PARAM)
        except Exception:  # noqa: BLE001 - saxonche raises PySaxonApiError: each label alone says why
            return None
    if not result:
        return None
    results = list(etree.fromstring(result.encode("utf-8")))
    return results if len(results) == len(texts) else None


def _findings(out: etree._Element, prepared: _Prepared, sch_path: str | os.PathLike[str]) -> list[Finding]:
    """The findings of one label's ``<r>`` result."""
    if len(out) == 0:
        return []
    findings = []
    for f in out:
        role = (f.get("role") or "").lower()
        if role in ("warning", "warn"):
            kind = "warning.label.schematron"
        elif role in ("info", "information", "informational"):
            kind = "info.label.schematron"
        else:
            kind = "error.label.schematron"
        msg = " ".join((f.findtext("m") or "").split())
        loc = f.get("loc") or ""
        findings.append(
            Finding(kind, msg, file=prepared.file, line=_line_of(prepared.tree, loc), context=_pretty_path(loc),
                    extra={"test": f.get("test"), "title": (f.findtext("t") or "").strip(),
                           "schematron": Path(sch_path).name})
        )
    return findings


def _xml_text(xml: bytes) -> str:
    """Label bytes as text for Saxon (BOM dropped; non-UTF-8 labels decoded by lxml)."""
    if xml.startswith(b"\xef\xbb\xbf"):
        xml = xml[3:]
    try:
        return xml.decode("utf-8")
    except UnicodeDecodeError:
        root = etree.fromstring(xml, xml_parser())
        text: str = etree.tostring(root, encoding="unicode")
        return text


#: any leaf element whose value has whitespace that a schema-validating parser would collapse
_NEEDS_NORMALISING = "boolean(//*[not(*)][string(.) != normalize-space(string(.))])"
#: the text nodes the compiled stylesheet's pdsgen-norm mode rewrites (``*[not(*)]/text()``)
#: whose value normalize-space changes
_LEAF_TEXT = etree.XPath("//*[not(*)]/text()[. != normalize-space(.)]")
_XML_SPACE = re.compile(r"[ \t\r\n]+")


def _collapsed_xml(tree: etree._ElementTree) -> bytes | None:
    """The label serialised with its leaf values whitespace-collapsed, or None if none needs it.

    The same rewrite as the stylesheet's ``pdsgen-norm`` copy (normalize-space of every text
    node of a leaf element), done on the lxml tree, which is restored afterwards: cheaper
    than Saxon copying the whole document, which about doubles its time on such a label.
    """
    nodes = _LEAF_TEXT(tree)
    if not nodes:
        return None
    saved = []
    try:
        for text in nodes:
            owner = text.getparent()
            value = _XML_SPACE.sub(" ", str(text)).strip(" ")
            if text.is_tail:
                saved.append((owner, "tail", owner.tail))
                owner.tail = value
            else:
                saved.append((owner, "text", owner.text))
                owner.text = value
        collapsed: bytes = etree.tostring(tree, encoding="UTF-8")
        return collapsed
    finally:
        for owner, attr, old in reversed(saved):
            setattr(owner, attr, old)

_STEP = re.compile(r"^(@?)(?:Q\{([^}]*)\})?([^\[\]]+)(?:\[(\d+)\])?$")


def _steps(loc: str) -> list[str]:
    steps: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in loc:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "/" and depth == 0:
            if cur:
                steps.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    if cur:
        steps.append("".join(cur))
    return steps


def _line_of(tree: etree._ElementTree | None, loc: str) -> int | None:
    """Source line of the node at Saxon `path()` `loc` (attributes: their element's line)."""
    if tree is None or not loc.startswith("/"):
        return None
    node: etree._Element | None = None
    for step in _steps(loc):
        m = _STEP.match(step)
        if m is None:
            return node.sourceline if node is not None else None
        is_attr, ns, local, index = m.groups()
        if is_attr:
            break
        tag = f"{{{ns}}}{local}" if ns else local
        if node is None:
            root = tree.getroot()
            if root.tag != tag:
                return None
            node = root
            continue
        kids = [c for c in node if c.tag == tag]
        i = int(index or 1) - 1
        if i >= len(kids):
            break
        node = kids[i]
    return node.sourceline if node is not None else None


def _pretty_path(loc: str) -> str:
    return re.sub(r"Q\{[^}]*\}", "", loc)
