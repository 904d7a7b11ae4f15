"""XMP metadata (the XML packet a PDF keeps in its catalog's /Metadata stream) as a flat dict.

Keys are ``prefix:name`` with the conventional prefix of each well-known namespace (a file
may bind any prefix it likes: ``dc`` is the Dublin Core URI, whatever the file called it).
Language alternatives (rdf:Alt) give their x-default value (else the first), ordered and
unordered lists (rdf:Seq, rdf:Bag) give lists, nested structures are skipped.
"""

from __future__ import annotations

from lxml import etree

XmpValue = str | list[str]

MAX_XMP_BYTES = 4 * 1024 * 1024  # real packets are a few KB; more is padding or abuse

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
KNOWN_PREFIXES = {
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://ns.adobe.com/xap/1.0/": "xmp",
    "http://ns.adobe.com/pdf/1.3/": "pdf",
    "http://ns.adobe.com/xap/1.0/mm/": "xmpMM",
    "http://ns.adobe.com/xap/1.0/rights/": "xmpRights",
    "http://ns.adobe.com/pdfx/1.3/": "pdfx",
    "http://www.aiim.org/pdfa/ns/id/": "pdfaid",
    "http://www.aiim.org/pdfua/ns/id/": "pdfuaid",
    "http://ns.adobe.com/photoshop/1.0/": "photoshop",
    "http://prismstandard.org/namespaces/basic/2.0/": "prism",
}


def _parser() -> etree.XMLParser:
    # No DTDs, no entity expansion, no network: an XMP packet is untrusted input.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           huge_tree=False, remove_comments=True, remove_pis=True)


def parse_xmp(packet: bytes) -> dict[str, XmpValue]:
    """The properties of an XMP packet; raises ValueError when the packet is not usable XML.

    >>> parse_xmp(b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    ...   b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    ...   b'xmlns:d="http://purl.org/dc/elements/1.1/" d:format="application/pdf"/>'
    ...   b'</rdf:RDF></x:xmpmeta>')
    {'dc:format': 'application/pdf'}
    """
    if len(packet) > MAX_XMP_BYTES:
        raise ValueError(f"the XMP packet is too large ({len(packet)} bytes)")
    try:
        root = etree.fromstring(packet.strip(b"\x00 \t\r\n"), parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"the XMP packet is not well-formed XML ({exc})") from None
    found: dict[str, XmpValue] = {}
    for description in root.iter(f"{{{RDF}}}Description"):
        if _inside_property(description):
            continue  # a nested structure: its fields are not document properties
        _read_description(description, found)
    return found


def _inside_property(description: etree._Element) -> bool:
    parent = description.getparent()
    return parent is not None and etree.QName(parent).localname != "RDF"


def _read_description(description: etree._Element, found: dict[str, XmpValue]) -> None:
    for name, value in description.attrib.items():
        key = _key(str(name), description)
        if key and not key.startswith("rdf:"):
            found.setdefault(key, str(value).strip())
    for child in description:
        if not isinstance(child.tag, str):
            continue
        key = _key(child.tag, child)
        value = _value(child)
        if key and value not in (None, "", []):
            found.setdefault(key, value)


def _key(tag: str, element: etree._Element) -> str | None:
    qname = etree.QName(tag)
    if qname.namespace is None or (qname.namespace == RDF and qname.localname == "about"):
        return None
    prefix = KNOWN_PREFIXES.get(qname.namespace) or _declared_prefix(element, qname.namespace)
    return f"{prefix}:{qname.localname}"


def _declared_prefix(element: etree._Element, namespace: str) -> str:
    for prefix, uri in element.nsmap.items():
        if uri == namespace and prefix:
            return str(prefix)
    return namespace


def _value(prop: etree._Element) -> XmpValue | None:
    container = next((c for c in prop if isinstance(c.tag, str)), None)
    if container is None:
        return (prop.text or "").strip()
    kind = etree.QName(container).localname
    items = [li for li in container if isinstance(li.tag, str)
             and etree.QName(li).localname == "li"]
    if kind == "Alt":
        return _default_language(items)
    if kind in ("Seq", "Bag"):
        return [text for li in items if (text := "".join(li.itertext()).strip())]
    return None  # a structure (rdf:Description / parseType="Resource"): not a flat value


def _default_language(items: list[etree._Element]) -> str | None:
    for li in items:
        if li.get(XML_LANG) == "x-default":
            return "".join(li.itertext()).strip()
    return "".join(items[0].itertext()).strip() if items else None
