"""The national fields in the intake feed (the record and its published JSON Schema) and in the
CPSV-AP export: 委托部门 and 联办机构 as cv:Participation, 行使层级 and 办件类型 as classifications,
审查标准 as cpsv:Rule, the rest in our namespace; the export still conforms to the official shapes."""

from __future__ import annotations

import json

import jsonschema
import pytest
from rdflib import RDF, Graph

from feed import cpsv
from guides.serializers import serialize_guide
from tests.feed.test_cpsv import (
    API,
    BASE,
    CPSV,
    CV,
    DCT,
    SKOS,
    YC,
    expand_to_graph,
    get_ld,
    service_of,
    violations,
)
from tests.portal.test_national_fields import (
    MATERIAL_BASIS,
    NATIONAL,
    REVIEW_STANDARD,
    national_record,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def national_guide(site):
    from guides.importer import import_guides
    from guides.models import GuidePage
    from tests.conftest import jsonl

    record = national_record(code="T-JY-0009", result_type="证照")
    record["steps"][2]["review_standard"] = "符合受理条件的，作出准予许可的决定"
    import_guides(jsonl(record), publish=True)
    return GuidePage.objects.get(code="T-JY-0009")


def test_the_feed_record_carries_them_and_validates_against_the_schema(client, national_guide):
    record = client.get("/api/v1/guides/T-JY-0009/").json()
    assert {key: record[key] for key in NATIONAL} == NATIONAL
    assert record["materials"][0]["basis"] == MATERIAL_BASIS
    assert record["steps"][1]["review_standard"] == REVIEW_STANDARD
    schema = client.get("/api/v1/schemas/guide.json").json()
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    validator.validate(record)
    assert set(record) == set(schema["properties"])
    for key, value in (("handling_type", "加急件"), ("exercise_level", "区级"), ("co_handlers", "测试区税务局")):
        with pytest.raises(jsonschema.ValidationError):
            validator.validate({**record, key: value})
    material = schema["$defs"]["Material"]
    step = schema["$defs"]["Step"]
    assert "basis" in material["required"] and "review_standard" in step["required"]


@pytest.mark.parametrize("inference", ["none", "rdfs"])
def test_the_cpsv_export_of_a_guide_with_them_conforms(client, national_guide, inference):
    graph = expand_to_graph(get_ld(client, f"{API}/guides/T-JY-0009/"))
    assert violations(graph, inference=inference) == []
    assert violations(graph, inference=inference, with_vocabulary=False) == []


def test_the_cpsv_mapping_of_each_field(national_guide):
    record = serialize_guide(national_guide)
    graph = Graph().parse(
        data=json.dumps({"@context": cpsv.context(), "@graph": cpsv.guide_graph(record, base_url=BASE)}),
        format="json-ld",
    )
    service = service_of(graph, "T-JY-0009")

    participations = {
        str(graph.value(graph.value(p, CV.role), SKOS.prefLabel)) + "：" + str(graph.value(graph.value(p, CV.hasParticipant), SKOS.prefLabel))
        for p in graph.objects(service, CV.hasParticipation)
    }
    assert participations == {"委托部门：江城市市场监督管理局", "联办机构：测试区税务局", "联办机构：测试区公安分局"}
    for participation in graph.objects(service, CV.hasParticipation):
        assert (graph.value(participation, CV.hasParticipant), RDF.type, CV.PublicOrganisation) not in graph

    classes = {
        (str(graph.value(graph.value(c, SKOS.inScheme), SKOS.prefLabel)), str(graph.value(c, SKOS.prefLabel)))
        for c in graph.objects(service, CV.isClassifiedBy)
    }
    assert {("行使层级", "县级"), ("办件类型", "承诺件"), ("事项类型", "行政许可")} <= classes

    rules = {str(graph.value(rule, DCT.title)): str(graph.value(rule, DCT.description)) for rule in graph.objects(service, CPSV.follows)}
    assert rules == {"审查标准（受理）": REVIEW_STANDARD, "审查标准（审查）": "符合受理条件的，作出准予许可的决定"}

    assert str(graph.value(service, YC.intermediaryServices)) == NATIONAL["intermediary_services"]
    assert str(graph.value(service, YC.specialProcedures)) == NATIONAL["special_procedures"]
    assert str(graph.value(graph.value(service, CPSV.produces), YC.validity)) == "5年"
    evidence = {str(graph.value(e, DCT.title)): e for e in graph.subjects(RDF.type, CV.Evidence)}
    assert str(graph.value(evidence["食品经营许可申请书"], YC.basis)) == MATERIAL_BASIS
    assert graph.value(evidence["营业执照"], YC.basis) is None


def test_a_guide_without_them_exports_none_of_them(publish_guide):
    graph = Graph().parse(
        data=json.dumps({"@context": cpsv.context(), "@graph": cpsv.guide_graph(serialize_guide(publish_guide()), base_url=BASE)}),
        format="json-ld",
    )
    service = service_of(graph, "T-JY-0001")
    for prop in (CV.hasParticipation, CPSV.follows, YC.intermediaryServices, YC.specialProcedures):
        assert graph.value(service, prop) is None, prop
    assert len(list(graph.objects(service, CV.isClassifiedBy))) == 2  # 事项类型 and 版块
