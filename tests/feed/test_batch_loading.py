"""The shortcuts the catalogue exports take when they read guides in bulk must give exactly what
the ORM, Wagtail and the json module give: document URLs, inline rows and guide pages, encoded
records."""

from __future__ import annotations

import json

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


def _assert_read_as_constructed(model, loaded) -> None:
    """An instance the ORM read (LoadedDirectly.from_db) equals the one Model.__init__ builds
    from the same values."""
    constructed = model(*[getattr(loaded, field.attname) for field in model._meta.concrete_fields])
    assert type(loaded) is model
    assert _fields(loaded) == _fields(constructed), model.__name__
    assert not loaded._state.adding and loaded._state.db == "default"


def test_guide_rows_read_from_the_database_equal_constructed_ones(catalogue, publish_guide):
    from guides.models import LoadedDirectly, ServiceHall
    from guides.serializers import HALL_RELATIONS, INLINE_RELATIONS

    catalogue.append(publish_guide(
        code="T-FEE-0001",
        fee={"charged": True, "items": [{"name": "工本费", "standard": "10元/本", "basis": "价费字〔2020〕1号", "reduction": ""}]},
        faq=[{"question": "可以代办吗？", "answer": "可以，需授权委托书。"}],
    ))
    relations = [(GuidePage, name) for name in INLINE_RELATIONS] + [(ServiceHall, name) for name in HALL_RELATIONS]
    from django.db.models.signals import post_init

    assert not post_init.has_listeners(GuidePage)  # LoadedDirectly does not send it
    for parent, relation in relations:
        model = parent._meta.get_field(relation).related_model
        assert issubclass(model, LoadedDirectly), model.__name__
        assert not post_init.has_listeners(model), model.__name__
        rows = list(model.objects.order_by("pk"))
        assert rows, model.__name__  # (the catalogue has rows of every relation)
        for row in rows:
            _assert_read_as_constructed(model, row)
    for page in GuidePage.objects.all():
        _assert_read_as_constructed(GuidePage, page)


def test_deferred_fields_stay_deferred(catalogue):
    loaded = GuidePage.objects.get(pk=catalogue[0].pk)
    partial = GuidePage.objects.only("pk", "code").get(pk=catalogue[0].pk)
    assert "summary" not in vars(partial)
    assert partial.summary == loaded.summary  # loaded on access, as with Model.from_db
    assert partial.code == loaded.code


def test_records_are_encoded_as_the_json_module_encodes_them(catalogue):
    from guides.serializers import encode_record, live_record

    def compact(record) -> bytes:
        return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    awkward = {
        "name": '食品经营"许可"\\ / \t\n\r\x00\x1f\x7f\u2028\u2029 😀 ｆｕｌｌ',
        "numbers": [0, -1, 2**53], "flags": [True, False, None], "nested": {"0": ["08:30-12:00"], "": []},
    }
    assert encode_record(awkward) == compact(awkward)
    assert json.loads(encode_record(awkward)) == awkward
    for page in catalogue:
        record = live_record(page)
        assert encode_record(record) == compact(record)
