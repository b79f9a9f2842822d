"""The shortcuts the catalogue exports take when they read guides in bulk must give exactly what
the ORM and Wagtail give: document URLs, inline rows and guide pages."""

from __future__ import annotations

import pytest
from django.urls import set_script_prefix

from guides.models import GuidePage

pytestmark = pytest.mark.django_db

FILE_NAMES = [
    "form.pdf",
    "申请表（空白）.pdf",
    "with space and #hash?.docx",
    "per%cent;semi=colon&amp+plus@at~tilde!$'()*,.xlsx",
    "ümlaut-ß.pdf",
]


@pytest.mark.parametrize("prefix", ["/", "/portal/"])
@pytest.mark.parametrize("file_name", FILE_NAMES)
def test_document_urls_are_those_of_wagtail(prefix, file_name):
    from wagtail.documents import get_document_model

    from guides.serializers import document_url_function

    document = get_document_model()(id=4711, title="x", file=f"documents/{file_name}")
    set_script_prefix(prefix)
    try:
        assert document_url_function()(document) == document.url
        assert document_url_function()(None) is None
    finally:
        set_script_prefix("/")


def test_documents_served_directly_keep_their_storage_url(settings, tmp_path):
    from wagtail.documents import get_document_model

    from guides.serializers import document_url_function

    settings.WAGTAILDOCS_SERVE_METHOD = "direct"
    settings.MEDIA_URL = "/media/"
    document = get_document_model()(id=3, title="x", file="documents/申请表.pdf")
    assert document_url_function()(document) == document.url
    assert document.url.startswith("/media/documents/")


def _fields(instance) -> dict:
    return {key: value for key, value in vars(instance).items() if key != "_state"}


def test_inline_rows_read_in_bulk_equal_the_orms(catalogue, publish_guide):
    from guides.serializers import INLINE_RELATIONS, _rows_for_reading

    catalogue.append(publish_guide(
        code="T-FEE-0001",
        fee={"charged": True, "items": [{"name": "工本费", "standard": "10元/本", "basis": "价费字〔2020〕1号", "reduction": ""}]},
        faq=[{"question": "可以代办吗？", "answer": "可以，需授权委托书。"}],
    ))

    for relation in INLINE_RELATIONS:
        model = GuidePage._meta.get_field(relation).related_model
        queryset = model.objects.filter(guide__in=catalogue).order_by("pk")
        orm = list(queryset)
        ours = _rows_for_reading(queryset)
        assert orm, relation  # (the catalogue has rows of every inline relation)
        assert [_fields(row) for row in ours] == [_fields(row) for row in orm], relation
        assert all(type(row) is model and not row._state.adding and row._state.db == "default" for row in ours)


def test_guide_pages_read_from_the_database_equal_constructed_ones(catalogue):
    loaded = GuidePage.objects.get(pk=catalogue[0].pk)
    values = [getattr(loaded, field.attname) for field in GuidePage._meta.concrete_fields]
    constructed = GuidePage(*values)
    assert _fields(loaded) == _fields(constructed)
    assert not loaded._state.adding and loaded._state.db == "default"
    # Deferred fields stay deferred and load on access, as with Model.from_db.
    partial = GuidePage.objects.only("pk", "code").get(pk=catalogue[0].pk)
    assert "summary" not in vars(partial)
    assert partial.summary == loaded.summary
