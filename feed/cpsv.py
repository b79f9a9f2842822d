"""CPSV-AP 3.2.0 JSON-LD export of guides, built from the serialized record only.

Every node is built from ``guides.serializers.serialize_guide`` records (never from models), so
the export says exactly what the web page, the PDF and the kiosk say, and carries the same
checklist fingerprint.

Mapping (see ``/api/v1/cpsv-ap/``):

=====================  ============================================================
guide                  ``cpsv:PublicService``
实施主体 (department)  ``cv:PublicOrganisation`` (also typed ``org:Organization``)
受理条件, 情形, 数量限制 ``cv:Requirement``
申请材料               ``cv:Evidence`` (material type as ``dct:type`` concept)
办理结果               ``cv:Output``
收费                   ``cv:Cost`` (CNY; "不收费" is a cost of 0)
窗口 / 网上办理        ``cv:Channel`` with ``cv:openingHours`` (weekly sessions) and
                       ``cv:specialOpeningHoursSpecification`` (holiday closures) as
                       ``time:TemporalEntity``
咨询 / 投诉电话        ``cv:ContactPoint``
设定依据               ``eli:LegalResource``
委托部门, 联办机构       ``cv:Participation`` (``cv:hasParticipation``; the body as a
                       ``foaf:Agent``, its role a concept)
行使层级, 办件类型       ``cv:isClassifiedBy`` concepts (beside 事项类型 and 版块)
审查标准 (of a step)    ``cpsv:Rule`` (``cpsv:follows``)
=====================  ============================================================

Local fields that CPSV-AP has no home for (legal vs promised time limit, visits, the material
marks 免提交/告知承诺/容缺后补 (``yc:mark``) and the other material attributes, copy counts, the checklist fingerprint and version) use our own
namespace ``yc:`` (:data:`YC`); so do 中介服务 (``yc:intermediaryServices``), 特别程序
(``yc:specialProcedures``), 结果有效期 (``yc:validity`` of the output) and 材料依据 (``yc:basis`` of
an evidence, which CPSV-AP cannot link to a legal resource).

The official SHACL shapes check ``sh:class`` in a closed world: every node or vocabulary value a
property points to is typed in the exported graph itself (``skos:Concept`` with ``skos:prefLabel``
and ``skos:inScheme``, ``dct:Location``, ``dct:LinguisticSystem``, ``foaf:Document`` …), so a
single guide and the whole catalogue each validate on their own, without fetching anything.

The JSON-LD context (``feed/jsonld/context.jsonld``) is the official CPSV-AP 3.2.0 context
(© European Union, CC-BY 4.0, SEMIC CPSV-AP release 3.2.0) plus prefixes and a few class terms
of ours; documents refer to it by URL (:data:`CONTEXT_PATH` under the base URL) or embed it.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, timedelta
from enum import Enum
from pathlib import Path
from typing import Any

from guides.choices import (
    ExerciseLevel,
    HandlingType,
    ItemType,
    LimitUnit,
    MaterialForm,
    MaterialMark,
    MaterialSource,
    MaterialType,
    Necessity,
    ResultType,
    Section,
    ServiceObject,
)
from guides.domain.hours import WEEKDAY_LABELS, parse_session
from guides.domain.timelimits import TimeLimit
from guides.serializers import checklist_of

# Our namespace for what CPSV-AP cannot say. It names terms, not documents, so it does not depend
# on where the portal is deployed; the same IRI is declared as "yc" in the shipped context.
YC = "urn:yichuang:vocab#"

API_PATH = "/api/v1/cpsv-ap"
CONTEXT_PATH = f"{API_PATH}/context.jsonld"
CONTEXT_FILE = Path(__file__).resolve().parent / "jsonld" / "context.jsonld"

LANGUAGE = "zh-Hans"
TIME = "http://www.w3.org/2006/time#"
XSD = "http://www.w3.org/2001/XMLSchema#"

_AUTHORITY = "http://publications.europa.eu/resource/authority"
_DAY_SLUGS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_IRIS = tuple(
    f"{TIME}{day}" for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
)
_PRICE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*元")


# --- the context ---------------------------------------------------------------------------------


@functools.cache
def _context_text() -> str:
    return CONTEXT_FILE.read_text(encoding="utf-8")


def context_text() -> str:
    """The shipped context document, byte for byte as served at ``context.jsonld``."""
    return _context_text()


def context() -> dict[str, Any]:
    """The context object (the value of ``@context`` in the shipped document), a fresh copy."""
    return copy.deepcopy(json.loads(_context_text())["@context"])


def context_url(base_url: str) -> str:
    return f"{_base(base_url)}{CONTEXT_PATH}"


# --- small builders ------------------------------------------------------------------------------


def _base(base_url: str) -> str:
    return base_url.rstrip("/")


def _text(value: Any) -> str:
    return " ".join(str(value or "").split())


def _zh(value: str) -> dict[str, str]:
    return {"@value": value, "@language": LANGUAGE}


def _ref(iri: str) -> dict[str, str]:
    return {"@id": iri}


def _typed(lexical: str, datatype: str) -> dict[str, str]:
    """A typed literal given by its lexical form, so that every JSON-LD processor produces the
    same RDF term (native JSON numbers are canonicalised differently by different processors)."""
    return {"@value": lexical, "@type": f"{XSD}{datatype}"}


def _double(value: float) -> dict[str, str]:
    """An ``xsd:double`` in canonical form (``2.0E1``)."""
    mantissa, exponent = f"{value:.15E}".split("E")
    mantissa = mantissa.rstrip("0")
    if mantissa.endswith("."):
        mantissa += "0"
    return _typed(f"{mantissa}E{int(exponent)}", "double")


def _set(node: dict[str, Any], key: str, value: Any) -> None:
    """Set a property unless the value is empty; multi-valued properties are always lists."""
    if value is None or value == "" or value == []:
        return
    node[key] = value


def _slug(enum: type[Enum], value: str) -> str:
    """A stable ASCII key for a Chinese choice value: the name of its member in guides.choices."""
    for member in enum:
        if member.value == value:
            return member.name.lower().replace("_", "-")
    return "x-" + hashlib.sha1(value.encode("utf-8")).hexdigest()[:10]


def _absolute(base_url: str, url: str | None) -> str | None:
    if not url:
        return None
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", url):
        return url
    return f"{_base(base_url)}/{url.lstrip('/')}"


class _Graph:
    """Nodes in insertion order, each @id once (the first description wins)."""

    def __init__(self) -> None:
        self.nodes: dict[str, dict[str, Any]] = {}

    def add(self, node: dict[str, Any]) -> str:
        self.nodes.setdefault(node["@id"], node)
        return node["@id"]

    def list(self) -> list[dict[str, Any]]:
        return list(self.nodes.values())


# --- vocabularies --------------------------------------------------------------------------------

# EU authority tables (Publications Office) recommended by CPSV-AP, with the values we use.
_EU_SCHEMES = {
    "language": {"en": "Language", LANGUAGE: "语言"},
    "country": {"en": "Country", LANGUAGE: "国家和地区"},
    "currency": {"en": "Currency", LANGUAGE: "货币"},
    "frequency": {"en": "Frequency", LANGUAGE: "频率"},
}
_EU_CONCEPTS = {
    ("language", "ZHO"): ({"en": "Chinese", LANGUAGE: "中文"}, ["Concept", "LinguisticSystem"]),
    ("country", "CHN"): ({"en": "China", LANGUAGE: "中国"}, ["Concept", "Location"]),
    ("currency", "CNY"): ({"en": "Renminbi", LANGUAGE: "人民币"}, ["Concept"]),
    ("frequency", "WEEKLY"): ({"en": "weekly", LANGUAGE: "每周"}, ["Concept"]),
}

# Our own concept schemes, for the guide's controlled values that no EU table covers. The
# Europass channel-type table lists only remote media (post, e-mail, phone, fax, web), not a
# counter in a service hall, so channel types are ours too.
_OUR_SCHEMES = {
    "channel-type": "办理渠道",
    "item-type": "事项类型",
    "section": "版块",
    "audience": "服务对象",
    "material-type": "材料类型",
    "material-form": "材料形式",
    "material-source": "来源渠道",
    "necessity": "材料必要性",
    "material-mark": "材料标记",
    "result-type": "结果类型",
    "time-unit": "时限单位",
    "exercise-level": "行使层级",
    "handling-type": "办件类型",
    "participation-role": "参与角色",
}


class ParticipationRole(Enum):
    """The roles of other bodies in a service (cv:role of a cv:Participation)."""

    ENTRUSTING = "委托部门"
    CO_HANDLER = "联办机构"


_CHANNEL_TYPES = {"window": "窗口办理", "online": "网上办理"}
_SCHEME_ENUMS: dict[str, type[Enum]] = {
    "item-type": ItemType,
    "section": Section,
    "audience": ServiceObject,
    "material-type": MaterialType,
    "material-form": MaterialForm,
    "material-source": MaterialSource,
    "necessity": Necessity,
    "material-mark": MaterialMark,
    "result-type": ResultType,
    "time-unit": LimitUnit,
    "exercise-level": ExerciseLevel,
    "handling-type": HandlingType,
    "participation-role": ParticipationRole,
}


def _labels(labels: dict[str, str]) -> list[dict[str, str]]:
    return [{"@value": text, "@language": lang} for lang, text in sorted(labels.items())]


class _Iris:
    def __init__(self, base_url: str, code: str) -> None:
        self.base = _base(base_url)
        self.api = f"{self.base}{API_PATH}"
        self.guide = f"{self.api}/guides/{code}/"

    def local(self, fragment: str) -> str:
        return f"{self.guide}#{fragment}"

    def organisation(self, code: str) -> str:
        return f"{self.api}/organisations/{code}"

    def scheme(self, scheme: str) -> str:
        return f"{self.api}/concepts/{scheme}"

    def concept(self, scheme: str, key: str) -> str:
        return f"{self.api}/concepts/{scheme}/{key}"

    def agent(self, name: str) -> str:
        """A body known by its name only (a 委托部门 or 联办机构), shared by every guide naming it."""
        return f"{self.api}/agents/{hashlib.sha1(name.encode('utf-8')).hexdigest()[:12]}"

    def hall(self, name: str) -> str:
        return f"{self.api}/halls/{hashlib.sha1(name.encode('utf-8')).hexdigest()[:12]}"


def _eu_concept(graph: _Graph, table: str, code: str) -> str:
    labels, types = _EU_CONCEPTS[(table, code)]
    scheme = f"{_AUTHORITY}/{table}"
    graph.add({"@id": scheme, "@type": "ConceptScheme", "skos:prefLabel": _labels(_EU_SCHEMES[table])})
    return graph.add(
        {
            "@id": f"{scheme}/{code}",
            "@type": types,
            "skos:prefLabel": _labels(labels),
            "skos:inScheme": _ref(scheme),
            "skos:notation": code,
        }
    )


def _our_concept(graph: _Graph, iris: _Iris, scheme: str, value: str) -> str:
    key = (
        next(k for k, label in _CHANNEL_TYPES.items() if label == value)
        if scheme == "channel-type"
        else _slug(_SCHEME_ENUMS[scheme], value)
    )
    scheme_iri = iris.scheme(scheme)
    graph.add({"@id": scheme_iri, "@type": "ConceptScheme", "skos:prefLabel": [_zh(_OUR_SCHEMES[scheme])]})
    return graph.add(
        {
            "@id": iris.concept(scheme, key),
            "@type": "Concept",
            "skos:prefLabel": [_zh(value)],
            "skos:inScheme": _ref(scheme_iri),
            "skos:notation": key,
        }
    )


def _document(graph: _Graph, url: str) -> str:
    return graph.add({"@id": url, "@type": "Document"})


# --- opening hours -------------------------------------------------------------------------------


def _clock(day: int | None, hour: int, minute: int) -> dict[str, Any]:
    description: dict[str, Any] = {"@type": "DateTimeDescription"}
    if day is not None:
        description["time:dayOfWeek"] = _ref(_DAY_IRIS[day])
    description["time:hour"] = _typed(str(hour), "nonNegativeInteger")
    description["time:minute"] = _typed(str(minute), "nonNegativeInteger")
    description["time:unitType"] = _ref(f"{TIME}unitMinute")
    return {"@type": "Instant", "time:inDateTime": description}


def _on_date(day: date) -> dict[str, Any]:
    return {"@type": "Instant", "time:inXSDDate": _typed(day.isoformat(), "date")}


def _runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive dates grouped into (first, last) runs."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _hall_hours(graph: _Graph, iris: _Iris, hall: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The hall's weekly sessions and make-up workdays (opening hours) and its holiday closures
    (availability restrictions), as shared ``time:TemporalEntity`` nodes."""
    hall_iri = iris.hall(hall["name"])
    weekly = _eu_concept(graph, "frequency", "WEEKLY")
    opening: list[str] = []
    sessions_of: dict[int, list[str]] = {}
    for day_key in sorted(hall["hours"], key=int):
        day = int(day_key)
        for text in hall["hours"][day_key]:
            session = parse_session(text)
            span = session.display()
            sessions_of.setdefault(day, []).append(span)
            graph.add({"@id": _DAY_IRIS[day], "@type": "DayOfWeek"})
            graph.add({"@id": f"{TIME}unitMinute", "@type": "TemporalUnit"})
            opening.append(
                graph.add(
                    {
                        "@id": f"{hall_iri}#hours-{_DAY_SLUGS[day]}-{session.start:%H%M}-{session.end:%H%M}",
                        "@type": "TemporalEntity",
                        "dct:description": [_zh(f"{WEEKDAY_LABELS[day]} {span}")],
                        "cv:frequency": [_ref(weekly)],
                        "time:hasBeginning": _clock(day, session.start.hour, session.start.minute),
                        "time:hasEnd": _clock(day, session.end.hour, session.end.minute),
                    }
                )
            )
    for day_text, weekday in sorted(hall.get("makeup_workdays", {}).items()):
        day = date.fromisoformat(day_text)
        spans = "、".join(sessions_of.get(int(weekday), [])) or "—"
        opening.append(
            graph.add(
                {
                    "@id": f"{hall_iri}#workday-{day.isoformat()}",
                    "@type": "TemporalEntity",
                    "dct:description": [
                        _zh(f"{day.isoformat()} 调休上班，按{WEEKDAY_LABELS[int(weekday)]}办公时间：{spans}")
                    ],
                    "time:hasBeginning": _on_date(day),
                    "time:hasEnd": _on_date(day),
                }
            )
        )
    closed: list[str] = []
    for first, last in _runs(date.fromisoformat(d) for d in hall.get("closed_days", [])):
        span = first.isoformat() if first == last else f"{first.isoformat()} 至 {last.isoformat()}"
        suffix = first.isoformat() if first == last else f"{first.isoformat()}--{last.isoformat()}"
        closed.append(
            graph.add(
                {
                    "@id": f"{hall_iri}#closed-{suffix}",
                    "@type": "TemporalEntity",
                    "dct:description": [_zh(f"{span} 休息")],
                    "time:hasBeginning": _on_date(first),
                    "time:hasEnd": _on_date(last),
                }
            )
        )
    return opening, closed


def _hall_location(graph: _Graph, iris: _Iris, hall: dict[str, Any]) -> str:
    hall_iri = iris.hall(hall["name"])
    node: dict[str, Any] = {
        "@id": hall_iri,
        "@type": "Location",
        "skos:prefLabel": [_zh(_text(hall["name"]))],
    }
    if _text(hall.get("address")):
        address = graph.add(
            {"@id": f"{hall_iri}#address", "@type": "Address", "locn:fullAddress": [_zh(_text(hall["address"]))]}
        )
        node["locn:address"] = [_ref(address)]
    _set(node, "dct:description", [_zh(_text(hall.get("floor_guide")))] if _text(hall.get("floor_guide")) else [])
    return graph.add(node)


# --- one guide -----------------------------------------------------------------------------------


def _limit(graph: _Graph, iris: _Iris, fragment: str, limit: dict[str, Any] | None, note: str) -> str | None:
    if not limit:
        return None
    parsed = TimeLimit(int(limit["value"]), limit["unit"])
    node: dict[str, Any] = {
        "@id": iris.local(fragment),
        "@type": "TimeLimit",
        "yc:amount": int(limit["value"]),
        "yc:unit": _ref(_our_concept(graph, iris, "time-unit", limit["unit"])),
        "dct:description": [_zh(parsed.display())],
    }
    _set(node, "yc:note", [_zh(_text(note))] if _text(note) else [])
    return graph.add(node)


def _participations(graph: _Graph, iris: _Iris, record: dict[str, Any]) -> list[str]:
    """The 委托部门 and the 联办机构 of a guide as cv:Participation nodes, each body a foaf:Agent
    (an organisation known by its name: the record names them, it does not code them)."""
    bodies = [(ParticipationRole.ENTRUSTING, record.get("entrusting_department"))]
    bodies += [(ParticipationRole.CO_HANDLER, name) for name in record.get("co_handlers") or []]
    participations = []
    for role, name in bodies:
        name = _text(name)
        if not name:
            continue
        agent = graph.add(
            {
                "@id": iris.agent(name),
                "@type": ["Organization", "Agent"],
                "dct:identifier": name,
                "dct:title": [_zh(name)],
                "skos:prefLabel": [_zh(name)],
            }
        )
        number = len(participations) + 1
        participations.append(
            graph.add(
                {
                    "@id": iris.local(f"participation-{number}"),
                    "@type": "Participation",
                    "dct:identifier": f"{record['code']}-participation-{number}",
                    "dct:description": [_zh(f"{role.value}：{name}")],
                    "cv:role": [_ref(_our_concept(graph, iris, "participation-role", role.value))],
                    "cv:hasParticipant": [_ref(agent)],
                }
            )
        )
    return participations


def _processing_time(limit: dict[str, Any] | None) -> dict[str, Any] | None:
    """``xsd:duration`` only where it is exact: working days have no duration."""
    if not limit:
        return None
    if limit["unit"] == LimitUnit.IMMEDIATE:
        return _typed("P0D", "duration")
    if limit["unit"] == LimitUnit.NATURAL_DAYS:
        return _typed(f"P{int(limit['value'])}D", "duration")
    return None


def guide_graph(
    record: dict[str, Any], *, base_url: str, checklist_version: int | None = None, grouped_by: Sequence[str] = ()
) -> list[dict]:
    """The CPSV-AP nodes of one guide record: the service, its parts, and every organisation,
    concept, location and time node they refer to (closed-world complete). ``grouped_by`` are
    the IRIs of the events (journeys) the service belongs to; the document must carry them."""
    graph = _Graph()
    _build(graph, record, base_url=base_url, checklist_version=checklist_version)
    if grouped_by:
        graph.nodes[_Iris(base_url, record["code"]).local("service")]["cv:isGroupedBy"] = [_ref(iri) for iri in grouped_by]
    return graph.list()


def event_iri(base_url: str, slug: str) -> str:
    return f"{_base(base_url)}{API_PATH}/journeys/{slug}/#event"


def event_node(journey: dict[str, Any], *, base_url: str) -> dict[str, Any]:
    """A journey (一件事) as a cv:LifeEvent (citizens) or cv:BusinessEvent (businesses) that
    groups its member guides' public services."""
    kind = "BusinessEvent" if journey["audience"] == "business" else "LifeEvent"
    codes = list(dict.fromkeys(m["code"] for step in journey["steps"] for m in step["members"]))
    return {
        "@id": event_iri(base_url, journey["slug"]),
        "@type": ["Event", kind],
        "dct:identifier": journey["slug"],
        "dct:title": [_zh(_text(journey["name"]))],
        "dct:description": [_zh(_text(journey["intro"]))] if _text(journey["intro"]) else [],
        "cv:hasRelatedService": [_ref(_Iris(base_url, code).local("service")) for code in codes],
    }


def _build(graph: _Graph, record: dict[str, Any], *, base_url: str, checklist_version: int | None) -> None:
    code = record["code"]
    iris = _Iris(base_url, code)
    _, fingerprint = checklist_of(record)
    service: dict[str, Any] = {
        "@id": iris.local("service"),
        "@type": "PublicService",
        "dct:identifier": code,
        "dct:title": [_zh(_text(record["name"]))],
        "dct:description": [_zh(_text(record.get("summary")) or _text(record["name"]))],
    }
    graph.add(service)  # first, so that every document starts with its services

    # Who, where, for whom
    country = _eu_concept(graph, "country", "CHN")
    organisation = graph.add(
        {
            "@id": iris.organisation(record["department_code"]),
            "@type": ["PublicOrganization", "Organization"],
            "dct:identifier": record["department_code"],
            "dct:title": [_zh(_text(record["department"]))],
            "skos:prefLabel": [_zh(_text(record["department"]))],
            "dct:spatial": [_ref(country)],
        }
    )
    service["cv:hasCompetentAuthority"] = [_ref(organisation)]
    service["dct:language"] = [_ref(_eu_concept(graph, "language", "ZHO"))]
    service["dct:spatial"] = [_ref(country)]
    _set(
        service,
        "dct:audience",
        [_ref(_our_concept(graph, iris, "audience", value)) for value in record.get("service_object") or []],
    )
    classes = [_our_concept(graph, iris, "item-type", record["item_type"])] if record.get("item_type") else []
    if record.get("category"):
        classes.append(_our_concept(graph, iris, "section", record["category"]))
    for key, scheme in (("exercise_level", "exercise-level"), ("handling_type", "handling-type")):
        if record.get(key):
            classes.append(_our_concept(graph, iris, scheme, record[key]))
    _set(service, "cv:isClassifiedBy", [_ref(iri) for iri in classes])
    _set(service, "cv:hasParticipation", [_ref(iri) for iri in _participations(graph, iris, record)])

    # Requirements: the acceptance conditions, one per situation that adds materials, quantity limit
    requirements: list[str] = []
    conditions = iris.local("requirement-conditions")
    requirements.append(conditions)
    situations: dict[str, str] = {}
    for material in record.get("materials") or []:
        case = _text(material.get("situation"))
        if case and case not in situations:
            situations[case] = iris.local(f"requirement-situation-{len(situations) + 1}")
    requirements.extend(situations.values())

    # Evidence: the materials, in checklist order
    evidences: list[str] = []
    paper: list[str] = []
    electronic: list[str] = []
    supporting: dict[str, list[str]] = {iri: [] for iri in requirements}
    for position, material in enumerate(record.get("materials") or [], start=1):
        iri = iris.local(f"evidence-{position}")
        case = _text(material.get("situation"))
        requirement = situations[case] if case else conditions
        supporting[requirement].append(iri)
        node: dict[str, Any] = {
            "@id": iri,
            "@type": "Evidence",
            "dct:identifier": f"{code}-evidence-{position}",
            "dct:title": [_zh(_text(material["name"]))],
            "cv:supportsRequirement": [_ref(requirement)],
            "yc:position": position,
            "yc:originalCount": int(material.get("original") or 0),
            "yc:copyCount": int(material.get("copies") or 0),
        }
        _set(node, "dct:description", [_zh(_text(material.get("note")))] if _text(material.get("note")) else [])
        if material.get("type"):
            node["dct:type"] = _ref(_our_concept(graph, iris, "material-type", material["type"]))
        for key, scheme in (("form", "material-form"), ("necessity", "necessity"), ("source", "material-source")):
            if material.get(key):
                node[f"yc:{key}"] = _ref(_our_concept(graph, iris, scheme, material[key]))
        _set(node, "yc:deferrable", True if material.get("necessity") == Necessity.DEFERRABLE else None)
        # 免提交, 告知承诺, 容缺后补: what the counter accepts instead of the material, or later.
        _set(node, "yc:mark", [_ref(_our_concept(graph, iris, "material-mark", mark)) for mark in material.get("marks") or []])
        for key, prop in (("spec", "yc:spec"), ("acceptance_standard", "yc:acceptanceStandard"), ("basis", "yc:basis")):
            _set(node, prop, [_zh(_text(material.get(key)))] if _text(material.get(key)) else [])
        _set(node, "yc:situation", [_zh(case)] if case else [])
        pages = [
            _document(graph, url)
            for url in (_absolute(base_url, material.get("blank_form_url")), _absolute(base_url, material.get("sample_url")))
            if url
        ]
        _set(node, "foaf:page", [_ref(url) for url in pages])
        evidences.append(graph.add(node))
        form = material.get("form")
        if form in (MaterialForm.PAPER, MaterialForm.EITHER) or not record.get("online"):
            paper.append(iri)
        if form in (MaterialForm.ELECTRONIC, MaterialForm.EITHER) and record.get("online"):
            electronic.append(iri)

    questions = {
        option: situation["question"]
        for situation in record.get("situations") or []
        for option in situation.get("options") or []
    }
    graph.add(
        {
            "@id": conditions,
            "@type": "Requirement",
            "dct:identifier": f"{code}-requirement-conditions",
            "dct:title": [_zh("受理条件")],
            "dct:description": [_zh(_text(record.get("conditions")) or "无")],
            **({"cv:hasSupportingEvidence": [_ref(e) for e in supporting[conditions]]} if supporting[conditions] else {}),
        }
    )
    for number, (case, iri) in enumerate(situations.items(), start=1):
        node = {
            "@id": iri,
            "@type": "Requirement",
            "dct:identifier": f"{code}-requirement-situation-{number}",
            "dct:title": [_zh(case)],
            "cv:hasSupportingEvidence": [_ref(e) for e in supporting[iri]],
            "yc:situation": [_zh(case)],
        }
        _set(node, "dct:description", [_zh(_text(questions[case]))] if questions.get(case) else [])
        graph.add(node)
    if _text(record.get("quantity_limit")):
        requirements.append(
            graph.add(
                {
                    "@id": iris.local("requirement-quantity"),
                    "@type": "Requirement",
                    "dct:identifier": f"{code}-requirement-quantity",
                    "dct:title": [_zh("数量限制")],
                    "dct:description": [_zh(_text(record["quantity_limit"]))],
                }
            )
        )
    service["cv:holdsRequirement"] = [_ref(iri) for iri in requirements]
    _set(service, "cpsv:hasInput", [_ref(iri) for iri in evidences])

    # Output
    if _text(record.get("result")):
        output: dict[str, Any] = {
            "@id": iris.local("output"),
            "@type": "Output",
            "dct:identifier": f"{code}-output",
            "dct:title": [_zh(_text(record["result"]))],
        }
        if record.get("result_type"):
            output["dct:type"] = [_ref(_our_concept(graph, iris, "result-type", record["result_type"]))]
        _set(output, "yc:validity", [_zh(_text(record.get("result_validity")))] if _text(record.get("result_validity")) else [])
        sample = _absolute(base_url, record.get("result_sample_url"))
        _set(output, "foaf:page", [_ref(_document(graph, sample))] if sample else [])
        service["cpsv:produces"] = [_ref(graph.add(output))]

    # Costs
    fee = record.get("fee") or {}
    cny = _eu_concept(graph, "currency", "CNY")
    costs: list[str] = []
    if not fee.get("charged"):
        costs.append(
            graph.add(
                {
                    "@id": iris.local("cost-free"),
                    "@type": "Cost",
                    "dct:identifier": f"{code}-cost-free",
                    "dct:description": [_zh("不收费")],
                    "cv:hasValue": _double(0.0),
                    "cv:currency": _ref(cny),
                }
            )
        )
    for number, item in enumerate(fee.get("items") or [], start=1):
        standard = _text(item.get("standard"))
        node = {
            "@id": iris.local(f"cost-{number}"),
            "@type": "Cost",
            "dct:identifier": f"{code}-cost-{number}",
            "dct:description": [_zh(f"{_text(item.get('name'))}：{standard}" if standard else _text(item.get("name")))],
            "cv:currency": _ref(cny),
            "yc:feeName": [_zh(_text(item.get("name")))],
        }
        price = _PRICE.match(standard)
        if price:
            node["cv:hasValue"] = _double(float(price.group(1)))
        for key, prop in (("standard", "yc:feeStandard"), ("basis", "yc:feeBasis"), ("reduction", "yc:feeReduction")):
            _set(node, prop, [_zh(_text(item.get(key)))] if _text(item.get(key)) else [])
        costs.append(graph.add(node))
    _set(service, "cv:hasCost", [_ref(iri) for iri in costs])

    # Channels: the windows of the hall (with its hours) and online handling
    hall = record.get("hall")
    opening: list[str] = []
    closed: list[str] = []
    location = None
    if hall:
        opening, closed = _hall_hours(graph, iris, hall)
        location = _hall_location(graph, iris, hall)
    channels: list[str] = []
    window_type = _our_concept(graph, iris, "channel-type", _CHANNEL_TYPES["window"])
    roles_seen: set[str] = set()
    for number, window in enumerate(record.get("windows") or [], start=1):
        role = window.get("role") or "window"
        fragment = f"channel-{role}" if role not in roles_seen else f"channel-window-{number}"
        roles_seen.add(role)
        place = "".join(_text(part) for part in (window.get("hall"), window.get("location")))
        node = {
            "@id": iris.local(fragment),
            "@type": "Channel",
            "dct:identifier": f"{code}-{fragment}",
            "dct:type": _ref(window_type),
            "dct:description": [_zh(f"{_text(window['label'])}（{place}）" if place else _text(window["label"]))],
            "yc:window": [_zh(_text(window["label"]))],
        }
        _set(node, "cv:openingHours", [_ref(iri) for iri in opening])
        _set(node, "cv:specialOpeningHoursSpecification", [_ref(iri) for iri in closed])
        if location and _text(window.get("hall")) == _text(hall["name"]):
            node["yc:location"] = _ref(location)
        if role == "intake":
            _set(node, "cpsv:hasInput", [_ref(iri) for iri in paper])
        channels.append(graph.add(node))
    if record.get("online"):
        node = {
            "@id": iris.local("channel-online"),
            "@type": "Channel",
            "dct:identifier": f"{code}-channel-online",
            "dct:type": _ref(_our_concept(graph, iris, "channel-type", _CHANNEL_TYPES["online"])),
            "dct:description": [_zh("网上办理" + (f"：{record['online_url']}" if record.get("online_url") else ""))],
        }
        if record.get("online_url"):
            node["foaf:page"] = [_ref(_document(graph, record["online_url"]))]
        _set(node, "cpsv:hasInput", [_ref(iri) for iri in electronic])
        channels.append(graph.add(node))
    _set(service, "cv:hasChannel", [_ref(iri) for iri in channels])

    # Contact points: enquiries (with the hall's hours) and complaints
    contacts: list[str] = []
    if _text(record.get("phone")):
        node = {
            "@id": iris.local("contact-point"),
            "@type": "ContactPoint",
            "cv:telephone": [_text(record["phone"])],
            "dct:description": [_zh("咨询电话")],
        }
        _set(node, "cv:openingHours", [_ref(iri) for iri in opening])
        _set(node, "cv:specialOpeningHoursSpecification", [_ref(iri) for iri in closed])
        contacts.append(graph.add(node))
    if _text(record.get("complaint_phone")):
        contacts.append(
            graph.add(
                {
                    "@id": iris.local("contact-point-complaint"),
                    "@type": "ContactPoint",
                    "cv:telephone": [_text(record["complaint_phone"])],
                    "dct:description": [_zh("监督投诉电话")],
                }
            )
        )
    _set(service, "cv:contactPoint", [_ref(iri) for iri in contacts])

    # Legal basis
    legal: list[str] = []
    for number, basis in enumerate(record.get("legal_basis") or [], start=1):
        node = {
            "@id": iris.local(f"legal-resource-{number}"),
            "@type": "LegalResource",
            "dct:title": [_zh(_text(basis["title"]))],
        }
        _set(node, "dct:identifier", _text(basis.get("document_number")))
        _set(node, "dct:description", [_zh(_text(basis.get("excerpt")))] if _text(basis.get("excerpt")) else [])
        legal.append(graph.add(node))
    _set(service, "cv:hasLegalResource", [_ref(iri) for iri in legal])

    # The steps' review standards: the rules the service follows in deciding an application
    rules: list[str] = []
    for step in record.get("steps") or []:
        standard = _text(step.get("review_standard"))
        if not standard:
            continue
        number = len(rules) + 1
        rules.append(
            graph.add(
                {
                    "@id": iris.local(f"rule-{number}"),
                    "@type": "Rule",
                    "dct:identifier": f"{code}-rule-{number}",
                    "dct:title": [_zh(f"审查标准（{_text(step.get('name'))}）")],
                    "dct:description": [_zh(standard)],
                }
            )
        )
    _set(service, "cpsv:follows", [_ref(iri) for iri in rules])

    # Time: exact durations in CPSV-AP, both limits as they are in our namespace
    _set(service, "cv:processingTime", _processing_time(record.get("promised_limit")))
    legal_limit = _limit(graph, iris, "legal-limit", record.get("legal_limit"), record.get("legal_limit_note", ""))
    promised_limit = _limit(
        graph, iris, "promised-limit", record.get("promised_limit"), record.get("promised_limit_note", "")
    )
    _set(service, "yc:legalLimit", _ref(legal_limit) if legal_limit else None)
    _set(service, "yc:promisedLimit", _ref(promised_limit) if promised_limit else None)

    # Local facts and the checklist identity
    page = _absolute(base_url, f"/g/{code}/")
    service["foaf:page"] = [_ref(_document(graph, page))]
    _set(service, "yc:basicCode", _text(record.get("basic_code")))
    _set(service, "yc:subItemCode", _text(record.get("sub_item_code")))
    if record.get("visits") is not None:
        service["yc:visits"] = int(record["visits"])
    _set(service, "yc:visitsNote", [_zh(_text(record.get("visits_note")))] if _text(record.get("visits_note")) else [])
    for key, prop in (("intermediary_services", "yc:intermediaryServices"), ("special_procedures", "yc:specialProcedures")):
        _set(service, prop, [_zh(_text(record.get(key)))] if _text(record.get(key)) else [])
    service["yc:online"] = bool(record.get("online"))
    service["yc:feeCharged"] = bool(fee.get("charged"))
    service["yc:checklistFingerprint"] = fingerprint
    if checklist_version is not None:
        service["yc:checklistVersion"] = int(checklist_version)


# --- documents -----------------------------------------------------------------------------------


def _graph_nodes(
    records_with_versions: Iterable[tuple[dict, int | None]], *, base_url: str, journeys: Sequence[dict] = ()
) -> Iterator[dict]:
    """Every node of every guide in the given order, shared nodes (organisations, concepts, hall
    hours …) only at their first appearance; then the events of ``journeys``, each naming only
    the services the document holds."""
    events: dict[str, list[str]] = {}
    for journey in journeys:
        for step in journey["steps"]:
            for member in step["members"]:
                iri = event_iri(base_url, journey["slug"])
                if iri not in events.setdefault(member["code"], []):
                    events[member["code"]].append(iri)
    seen: set[str] = set()
    services: set[str] = set()
    for record, version in records_with_versions:
        services.add(_Iris(base_url, record["code"]).local("service"))
        for node in guide_graph(record, base_url=base_url, checklist_version=version, grouped_by=events.get(record["code"], ())):
            if node["@id"] not in seen:
                seen.add(node["@id"])
                yield node
    for journey in journeys:
        node = event_node(journey, base_url=base_url)
        node["cv:hasRelatedService"] = [ref for ref in node["cv:hasRelatedService"] if ref["@id"] in services]
        if not node["dct:description"]:
            del node["dct:description"]
        yield node


def _head(base_url: str, inline_context: bool) -> Any:
    return context() if inline_context else context_url(base_url)


def cpsv_document(
    records_with_versions: Iterable[tuple[dict, int | None]], *, base_url: str, inline_context: bool = False
) -> dict[str, Any]:
    """``{"@context": …, "@graph": […]}`` for the given (record, checklist version) pairs, guides
    ordered by code. The context is referenced by URL, or embedded with ``inline_context``."""
    ordered = sorted(records_with_versions, key=lambda pair: pair[0]["code"])
    return {
        "@context": _head(base_url, inline_context),
        "@graph": list(_graph_nodes(ordered, base_url=base_url)),
    }


def dumps(value: Any) -> str:
    """The one JSON form of every export: compact, keys sorted, UTF-8 text as is."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def iter_cpsv_json(
    records_with_versions: Iterable[tuple[dict, int | None]],
    *,
    base_url: str,
    inline_context: bool = False,
    journeys: Sequence[dict] = (),
) -> Iterator[str]:
    """The text of :func:`cpsv_document`, produced guide by guide for streaming. The records must
    already be ordered by code; the output is then identical to ``dumps(cpsv_document(...))``."""
    yield '{"@context":' + dumps(_head(base_url, inline_context)) + ',"@graph":['
    separator = ""
    for node in _graph_nodes(_checked_order(records_with_versions), base_url=base_url, journeys=journeys):
        yield separator + dumps(node)
        separator = ","
    yield "]}"


def _checked_order(records_with_versions: Iterable[tuple[dict, int | None]]) -> Iterator[tuple[dict, int | None]]:
    previous: str | None = None
    for record, version in records_with_versions:
        if previous is not None and record["code"] <= previous:
            raise ValueError(f"records must be ordered by code: {record['code']!r} after {previous!r}")
        previous = record["code"]
        yield record, version
