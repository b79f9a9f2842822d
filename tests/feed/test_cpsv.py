"""CPSV-AP 3.2.0 export: conformance to the official SHACL shapes, the shipped context, the
checklist fingerprint, and the endpoints.

Validation runs pySHACL with the official shapes and the CPSV-AP vocabulary as ontology graph
(so that ``cv:PublicOrganisation ⊑ org:Organization ⊑ foaf:Agent`` makes the Agent shape apply
to organisations too) and ``inference="none"``: nothing is inferred, every class a shape checks
must be stated in the export itself.
"""

from __future__ import annotations

import copy
import functools
import json
import random
import re
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pyld import jsonld
from pyshacl import validate
from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic

from feed import cpsv
from guides.importer import import_guides
from guides.models import Department
from guides.presentation import government_service_jsonld
from guides.serializers import serialize_guide
from tests.conftest import corpus_lines, jsonl, make_record

pytestmark = pytest.mark.django_db

STANDARD = cpsv.CONTEXT_FILE.parent / "cpsv-ap-3.2.0"
BASE = "http://testserver"  # PUBLIC_BASE_URL of the test settings
API = "/api/v1/cpsv-ap"

SH = Namespace("http://www.w3.org/ns/shacl#")
CV = Namespace("http://data.europa.eu/m8g/")
CPSV = Namespace("http://purl.org/vocab/cpsv#")
DCT = Namespace("http://purl.org/dc/terms/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
TIME = Namespace("http://www.w3.org/2006/time#")
YC = Namespace(cpsv.YC)


# --- helpers -------------------------------------------------------------------------------------


@functools.cache
def shapes() -> Graph:
    return Graph().parse(STANDARD / "cpsv-ap-SHACL.ttl", format="turtle")


@functools.cache
def vocabulary() -> Graph:
    return Graph().parse(STANDARD / "cpsv-ap.ttl", format="turtle")


def violations(data: Graph, *, inference: str = "none", with_vocabulary: bool = True) -> list[tuple]:
    """Every SHACL validation result as (focus node, path, constraint component, value)."""
    conforms, report, _ = validate(
        data,
        shacl_graph=shapes(),
        ont_graph=vocabulary() if with_vocabulary else None,
        inference=inference,
    )
    results = [
        (
            str(report.value(result, SH.focusNode)),
            str(report.value(result, SH.resultPath)),
            str(report.value(result, SH.sourceConstraintComponent)).split("#")[-1],
            str(report.value(result, SH.value)),
        )
        for result in report.subjects(RDF.type, SH.ValidationResult)
    ]
    assert conforms == (not results)
    return sorted(results)


def offline_loader(url, options=None):
    """The JSON-LD document loader of the tests: our shipped context, and no network at all."""
    if url != cpsv.context_url(BASE):
        raise AssertionError(f"the export made a JSON-LD processor fetch {url}")
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": json.loads(cpsv.context_text()),
    }


def expand_to_graph(document: dict) -> Graph:
    """RDF of a document as pyld reads it, resolving the context URL through the offline loader."""
    nquads = jsonld.to_rdf(document, {"format": "application/n-quads", "documentLoader": offline_loader})
    return Graph().parse(data=nquads, format="nt")


def inline_graph(document: dict) -> Graph:
    """RDF of a document as rdflib reads it, with the context URL replaced by the shipped context
    (what the loader does, without pyld's slower expansion for the whole catalogue)."""
    assert document["@context"] == cpsv.context_url(BASE)
    return Graph().parse(data=json.dumps({**document, "@context": cpsv.context()}), format="json-ld")


def lowercase_languages(graph: Graph) -> Graph:
    """pyld lowercases language tags (zh-Hans → zh-hans); BCP 47 tags compare case-insensitively."""
    result = Graph()
    for s, p, o in graph:
        if isinstance(o, Literal) and o.language:
            o = Literal(str(o), lang=o.language.lower())
        result.add((s, p, o))
    return result


def get_ld(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/ld+json; charset=utf-8"
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return json.loads(body.decode("utf-8"))


def service_of(graph: Graph, code: str) -> URIRef:
    return URIRef(f"{BASE}{API}/guides/{code}/#service")


def rich_guide(publish_guide):
    """A guide using every part of the mapping: fees, quantity limit, 容缺, online address,
    structured legal basis, result type, visits note."""
    materials = copy.deepcopy(make_record()["materials"])
    materials[1].update(necessity="容缺后补", marks=["免提交", "容缺后补"])
    return publish_guide(
        code="T-JY-0009",
        materials=materials,
        fee={"charged": True, "items": [
            {"name": "许可证工本费", "standard": "20元/证", "basis": "《收费标准》第二条", "reduction": "低保对象免收"},
            {"name": "检测费", "standard": "按检测项目计收", "basis": ""},
        ]},
        quantity_limit="每个经营场所限申请一次",
        online_url="https://www.gdzwfw.gov.cn/",
        legal_basis=[
            {"title": "《中华人民共和国食品安全法》第三十五条", "document_number": "主席令第二十一号", "excerpt": "从事食品生产、食品销售、餐饮服务，应当依法取得许可。"},
            "《食品经营许可管理办法》第十条",
        ],
        result_type="证照",
        visits_note="材料齐全的只需到现场一次",
        legal_limit_note="不含现场核查时间",
    )


# --- (a) one guide conforms ----------------------------------------------------------------------


@pytest.mark.parametrize("inference", ["none", "rdfs"])
def test_single_guide_export_conforms_to_the_official_shapes(client, publish_guide, inference):
    page = rich_guide(publish_guide)
    document = get_ld(client, f"{API}/guides/{page.code}/")
    assert document["@context"] == f"{BASE}{API}/context.jsonld"

    graph = expand_to_graph(document)
    assert violations(graph, inference=inference) == []
    assert violations(graph, inference=inference, with_vocabulary=False) == []
    # pyld (via the loader) and rdflib (inline context) read the same RDF.
    assert isomorphic(lowercase_languages(graph), lowercase_languages(inline_graph(document)))

    service = service_of(graph, page.code)
    assert (service, RDF.type, CPSV.PublicService) in graph
    assert {str(o) for o in graph.objects(service, CV.hasChannel)} == {
        f"{BASE}{API}/guides/T-JY-0009/#channel-{name}" for name in ("intake", "delivery", "online")
    }
    assert len(list(graph.objects(service, CPSV.hasInput))) == 4
    assert len(list(graph.objects(service, CV.hasCost))) == 2
    assert len(list(graph.objects(service, CV.hasLegalResource))) == 2
    assert len(list(graph.objects(service, CV.holdsRequirement))) == 3  # conditions, 委托, quantity
    assert len(list(graph.objects(service, CPSV.produces))) == 1


def test_every_referenced_value_is_typed_in_the_export(publish_guide):
    """The closed world the shapes assume: no IRI is used as an object without a type."""
    record = serialize_guide(rich_guide(publish_guide))
    graph = Graph().parse(
        data=json.dumps({"@context": cpsv.context(), "@graph": cpsv.guide_graph(record, base_url=BASE)}),
        format="json-ld",
    )
    untyped = {
        str(o) for s, p, o in graph
        if isinstance(o, URIRef) and p != RDF.type and (o, RDF.type, None) not in graph
    }
    assert untyped == set()
    for concept in graph.subjects(RDF.type, SKOS.Concept):
        assert graph.value(concept, SKOS.prefLabel) is not None, concept
        scheme = graph.value(concept, SKOS.inScheme)
        assert (scheme, RDF.type, SKOS.ConceptScheme) in graph, concept


# --- (b) the whole corpus conforms ---------------------------------------------------------------


def test_catalogue_of_the_corpus_conforms_with_shared_nodes_once(client, site):
    lines = corpus_lines()
    sources = [json.loads(line) for line in lines]
    started = time.monotonic()
    import_guides(lines, publish=True, findings_as_warnings=True)
    imported = time.monotonic()

    with CaptureQueriesContext(connection) as queries:
        document = get_ld(client, f"{API}/catalogue/")
    exported = time.monotonic()
    # Three chunks of 100 guides, each loaded with a fixed set of prefetches. serialize_guide
    # itself still queries the materials of each guide once (materials.select_related).
    assert len(queries) <= len(lines) + 50, len(queries)

    nodes = document["@graph"]
    ids = [node["@id"] for node in nodes]
    assert len(ids) == len(set(ids)), "a node appears twice in the catalogue"
    services = [node for node in nodes if node["@type"] == "PublicService"]
    assert [s["dct:identifier"] for s in services] == sorted(source["code"] for source in sources)
    evidence = [node for node in nodes if node["@type"] == "Evidence"]
    assert len(evidence) == sum(len(source["materials"]) for source in sources)
    organisations = [node for node in nodes if "PublicOrganization" in node["@type"]]
    assert len(organisations) == Department.objects.count() == 20

    graph = inline_graph(document)
    parsed = time.monotonic()
    assert violations(graph) == []
    validated = time.monotonic()
    print(
        f"\nCPSV-AP catalogue: {len(services)} guides, {len(nodes)} nodes, {len(graph)} triples; "
        f"import {imported - started:.1f}s, export {exported - imported:.1f}s, "
        f"parse {parsed - exported:.1f}s, SHACL {validated - parsed:.1f}s"
    )


# --- (c) the validation can fail -----------------------------------------------------------------


def test_the_release_example_fails_the_official_shapes():
    """The release's own example leaves its vocabulary values untyped: the closed-world class
    checks reject it, six results against the shapes alone, eight with the vocabulary (which
    makes the Agent shape require an identifier and a name of the organisation)."""
    example = Graph().parse(STANDARD / "example-rdf_public_service.ttl", format="turtle")
    ex = "http://example.com/"
    alone = violations(example, with_vocabulary=False)
    assert [(focus, path.rsplit("/", 1)[-1], component) for focus, path, component, _ in alone] == [
        (f"{ex}channel1", "type", "ClassConstraintComponent"),
        (f"{ex}evidenceType1", "evidenceTypeClassification", "ClassConstraintComponent"),
        (f"{ex}openingHours1", "frequency", "ClassConstraintComponent"),
        (f"{ex}publicOrganisation1", "spatial", "ClassConstraintComponent"),
        (f"{ex}requirement1", "type", "ClassConstraintComponent"),
        (f"{ex}specialOpeningHours1", "frequency", "ClassConstraintComponent"),
    ]
    with_vocabulary = violations(example)
    assert len(with_vocabulary) == 8
    assert {(focus, component) for focus, _, component, _ in with_vocabulary} - {
        (focus, component) for focus, _, component, _ in alone
    } == {(f"{ex}publicOrganisation1", "MinCountConstraintComponent")}


def test_a_broken_export_fails(publish_guide):
    record = serialize_guide(publish_guide())
    nodes = cpsv.guide_graph(record, base_url=BASE)
    service = nodes[0]
    del service["dct:identifier"]  # mandatory, exactly one
    window_type = f"{BASE}{API}/concepts/channel-type/window"
    nodes = [node for node in nodes if node["@id"] != window_type]  # left untyped
    graph = Graph().parse(data=json.dumps({"@context": cpsv.context(), "@graph": nodes}), format="json-ld")
    found = {(focus.rsplit("#", 1)[-1], path.rsplit("/", 1)[-1], component) for focus, path, component, _ in violations(graph)}
    assert found == {
        ("service", "identifier", "MinCountConstraintComponent"),
        ("channel-intake", "type", "ClassConstraintComponent"),
        ("channel-delivery", "type", "ClassConstraintComponent"),
    }


# --- (d) the fingerprint is the page's -----------------------------------------------------------


def test_export_carries_the_checklist_fingerprint_and_version_of_the_page(client, publish_guide):
    page = publish_guide()
    html = client.get(page.url).content.decode()
    meta = re.search(r'<meta name="checklist-fingerprint" content="([0-9a-f]{64})">', html).group(1)

    graph = expand_to_graph(get_ld(client, f"{API}/guides/{page.code}/"))
    service = service_of(graph, page.code)
    exported = str(graph.value(service, YC.checklistFingerprint))
    assert exported == meta == page.checklist_fingerprint
    assert graph.value(service, YC.checklistVersion).toPython() == page.checklist_version == 1

    # A changed checklist moves both, the same way.
    changed = make_record(materials=make_record()["materials"][:2])
    import_guides(jsonl(changed), publish=True)
    page.refresh_from_db()
    html = client.get(page.url).content.decode()
    meta = re.search(r'<meta name="checklist-fingerprint" content="([0-9a-f]{64})">', html).group(1)
    graph = expand_to_graph(get_ld(client, f"{API}/guides/{page.code}/"))
    assert str(graph.value(service, YC.checklistFingerprint)) == meta == page.checklist_fingerprint != exported
    assert graph.value(service, YC.checklistVersion).toPython() == page.checklist_version == 2


# --- (e) the endpoints ---------------------------------------------------------------------------


def test_endpoints_serve_json_ld_and_a_problem_for_unknown_codes(client, publish_guide):
    page = publish_guide()
    for url in (f"{API}/guides/{page.code}/", f"{API}/catalogue/", f"{API}/context.jsonld"):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/ld+json; charset=utf-8"
        assert response["Access-Control-Allow-Origin"] == "*"

    context = client.get(f"{API}/context.jsonld")
    assert context.content.decode("utf-8") == cpsv.CONTEXT_FILE.read_text(encoding="utf-8")

    missing = client.get(f"{API}/guides/NOPE-0001/")
    assert missing.status_code == 404
    assert missing["Content-Type"].startswith("application/problem+json")
    assert json.loads(missing.content)["status"] == 404
    assert client.post(f"{API}/catalogue/").status_code == 405

    page.unpublish()
    assert client.get(f"{API}/guides/{page.code}/").status_code == 404
    assert get_ld(client, f"{API}/catalogue/")["@graph"] == []


# --- mapping details -----------------------------------------------------------------------------


def test_local_fields_live_in_our_namespace(publish_guide):
    record = serialize_guide(rich_guide(publish_guide))
    graph = Graph().parse(
        data=json.dumps({"@context": cpsv.context(), "@graph": cpsv.guide_graph(record, base_url=BASE, checklist_version=7)}),
        format="json-ld",
    )
    service = service_of(graph, "T-JY-0009")
    legal, promised = graph.value(service, YC.legalLimit), graph.value(service, YC.promisedLimit)
    assert graph.value(legal, YC.amount).toPython() == 20 and graph.value(promised, YC.amount).toPython() == 10
    assert str(graph.value(graph.value(legal, YC.unit), SKOS.prefLabel)) == "工作日"
    assert str(graph.value(legal, YC.note)) == "不含现场核查时间"
    assert graph.value(service, CV.processingTime) is None  # working days are no xsd:duration
    assert graph.value(service, YC.visits).toPython() == 1
    assert graph.value(service, YC.checklistVersion).toPython() == 7

    evidence = {str(graph.value(e, DCT.title)): e for e in graph.subjects(RDF.type, CV.Evidence)}
    licence = evidence["营业执照"]
    assert graph.value(licence, YC.deferrable).toPython() is True
    assert str(graph.value(graph.value(licence, YC.necessity), SKOS.prefLabel)) == "容缺后补"
    marks = {str(graph.value(mark, SKOS.prefLabel)) for mark in graph.objects(licence, YC.mark)}
    assert marks == {"免提交", "容缺后补"}
    assert {str(graph.value(graph.value(mark, SKOS.inScheme), SKOS.prefLabel)) for mark in graph.objects(licence, YC.mark)} == {"材料标记"}
    assert list(graph.objects(evidence["授权委托书"], YC.mark)) == []
    assert (graph.value(licence, YC.originalCount).toPython(), graph.value(licence, YC.copyCount).toPython()) == (0, 1)
    # Materials needed only in a situation support that situation's requirement.
    proxy = graph.value(evidence["授权委托书"], CV.supportsRequirement)
    assert str(graph.value(proxy, DCT.title)) == "委托他人办理"
    assert set(graph.objects(proxy, CV.hasSupportingEvidence)) == {evidence["授权委托书"], evidence["受托人身份证"]}

    costs = {str(graph.value(c, DCT.identifier)): c for c in graph.subjects(RDF.type, CV.Cost)}
    assert graph.value(costs["T-JY-0009-cost-1"], CV.hasValue).toPython() == 20.0
    assert graph.value(costs["T-JY-0009-cost-2"], CV.hasValue) is None
    assert str(graph.value(costs["T-JY-0009-cost-1"], YC.feeReduction)) == "低保对象免收"


def test_free_services_cost_nothing_and_documents_are_absolute(publish_guide):
    record = serialize_guide(publish_guide())
    record["materials"][0]["blank_form_url"] = "/documents/7/form.pdf"
    nodes = cpsv.guide_graph(record, base_url=BASE + "/")
    by_id = {node["@id"]: node for node in nodes}
    free = by_id[f"{BASE}{API}/guides/T-JY-0001/#cost-free"]
    assert free["cv:hasValue"] == {"@value": "0.0E0", "@type": "http://www.w3.org/2001/XMLSchema#double"}
    form = f"{BASE}/documents/7/form.pdf"
    assert by_id[f"{BASE}{API}/guides/T-JY-0001/#evidence-1"]["foaf:page"] == [{"@id": form}]
    assert by_id[form]["@type"] == "Document"
    graph = Graph().parse(data=json.dumps({"@context": cpsv.context(), "@graph": nodes}), format="json-ld")
    assert violations(graph) == []


def test_consistent_with_the_schema_org_json_ld_of_the_page(publish_guide):
    page = publish_guide()
    record = serialize_guide(page)
    _, fingerprint = cpsv.checklist_of(record)
    schema = json.loads(government_service_jsonld(record, page.full_url, fingerprint))
    graph = Graph().parse(
        data=json.dumps({"@context": cpsv.context(), "@graph": cpsv.guide_graph(record, base_url=BASE)}),
        format="json-ld",
    )
    service = service_of(graph, record["code"])
    assert str(graph.value(service, DCT.title)) == schema["name"]
    assert str(graph.value(service, DCT.identifier)) == schema["identifier"]
    authority = graph.value(service, CV.hasCompetentAuthority)
    assert str(graph.value(authority, SKOS.prefLabel)) == schema["provider"]["name"]
    phones = {str(p) for cp in graph.objects(service, CV.contactPoint) for p in graph.objects(cp, CV.telephone)}
    assert schema["availableChannel"]["servicePhone"]["telephone"] in phones
    assert str(graph.value(service, YC.checklistFingerprint)) == schema["additionalProperty"]["value"]

    days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    expected = {
        (h["dayOfWeek"].rsplit("/", 1)[-1], h["opens"], h["closes"]) for h in schema["availableChannel"]["hoursAvailable"]
    }

    def clock(instant):
        description = graph.value(instant, TIME.inDateTime)
        day = str(graph.value(description, TIME.dayOfWeek)).rsplit("#", 1)[-1]
        return day, f"{int(graph.value(description, TIME.hour)):02d}:{int(graph.value(description, TIME.minute)):02d}"

    intake = URIRef(f"{BASE}{API}/guides/{record['code']}/#channel-intake")
    weekly = set()
    for hours in graph.objects(intake, CV.openingHours):
        if graph.value(hours, CV.frequency) is None:
            continue  # a make-up workday, which schema.org's weekly hours do not carry
        (day, opens), (end_day, closes) = clock(graph.value(hours, TIME.hasBeginning)), clock(graph.value(hours, TIME.hasEnd))
        assert day == end_day and day in days
        weekly.add((day, opens, closes))
    assert weekly == expected and len(expected) == 11
    closures = [str(graph.value(h, DCT.description)) for h in graph.objects(intake, CV.specialOpeningHoursSpecification)]
    assert closures == ["2026-10-01 至 2026-10-07 休息"]


def test_output_is_deterministic_and_streaming_equals_the_document(publish_guide):
    records = [
        (serialize_guide(publish_guide(code=code, name=f"事项{code}")), number)
        for number, code in enumerate(["T-JY-0003", "T-JY-0001", "T-JY-0002"], start=1)
    ]
    document = cpsv.cpsv_document(records, base_url=BASE)
    shuffled = records[:]
    random.Random(4).shuffle(shuffled)
    assert cpsv.dumps(cpsv.cpsv_document(shuffled, base_url=BASE)) == cpsv.dumps(document)
    ordered = sorted(records, key=lambda pair: pair[0]["code"])
    assert "".join(cpsv.iter_cpsv_json(ordered, base_url=BASE)) == cpsv.dumps(document)
    with pytest.raises(ValueError):
        "".join(cpsv.iter_cpsv_json(records, base_url=BASE))
    assert cpsv.guide_graph(records[0][0], base_url=BASE) == cpsv.guide_graph(records[0][0], base_url=BASE)

    # Shared nodes once, at their first use; each guide's own nodes under its own IRI.
    ids = [node["@id"] for node in document["@graph"]]
    assert len(ids) == len(set(ids))
    services = [node["@id"] for node in document["@graph"] if node["@type"] == "PublicService"]
    assert services == [f"{BASE}{API}/guides/T-JY-000{n}/#service" for n in (1, 2, 3)]


def test_shipped_context_extends_the_official_one_unchanged():
    shipped = json.loads(cpsv.CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]
    official = json.loads((STANDARD / "cpsv-ap.jsonld").read_text(encoding="utf-8"))["@context"]
    assert {key: shipped[key] for key in official} == official
    assert shipped["yc"] == cpsv.YC
    assert shipped["cv"] == str(CV) and shipped["cpsv"] == str(CPSV) and shipped["dct"] == str(DCT)


def test_inline_context_documents_need_no_loader(publish_guide):
    record = serialize_guide(publish_guide())
    document = cpsv.cpsv_document([(record, 1)], base_url=BASE, inline_context=True)
    assert isinstance(document["@context"], dict)
    graph = Graph().parse(data=cpsv.dumps(document), format="json-ld")
    assert violations(graph) == []
    assert not any(isinstance(s, BNode) and (s, RDF.type, None) not in graph for s in graph.subjects())
