"""Journeys in the CPSV-AP export: cv:LifeEvent / cv:BusinessEvent grouping the public services,
validated with the official SHACL shapes the CPSV-AP tests use."""

import pytest
from rdflib import RDF, URIRef

from tests.feed.test_cpsv import API, BASE, CV, get_ld, inline_graph, service_of, violations

pytestmark = pytest.mark.django_db


def test_catalogue_groups_member_services_by_their_journey(client, journey, members):
    document = get_ld(client, f"{API}/catalogue/")
    event_iri = f"{BASE}{API}/journeys/baby/#event"
    [event] = [node for node in document["@graph"] if node["@id"] == event_iri]
    assert event["@type"] == ["Event", "LifeEvent"] and event["dct:identifier"] == "baby"
    graph = inline_graph(document)
    event = URIRef(event_iri)
    assert (event, RDF.type, CV.LifeEvent) in graph
    related = set(graph.objects(event, CV.hasRelatedService))
    assert related == {service_of(graph, code) for code in members}
    for code in members:
        assert (service_of(graph, code), CV.isGroupedBy, event) in graph
    assert violations(graph) == []


def test_a_business_journey_is_a_business_event(client, members):
    from portal.demo.loader import add_journey
    from tests.journeys.conftest import JOURNEY

    add_journey({**JOURNEY, "slug": "biz", "audience": "business", "questions": [], "links": []})
    graph = inline_graph(get_ld(client, f"{API}/catalogue/"))
    assert (URIRef(f"{BASE}{API}/journeys/biz/#event"), RDF.type, CV.BusinessEvent) in graph
    assert violations(graph) == []
