"""The intake feed, mounted by portal/urls.py at ``api/v1/``.

The catch-all patterns at the end answer unknown paths *under the feed's own prefixes* with a
404 problem body; paths outside them fall through to the rest of the site's URLconf, so other
``api/v1/…`` routes (search, CPSV-AP) keep working whatever the order of the includes."""

from django.urls import path, re_path

from feed import api

app_name = "feed"

urlpatterns = [
    path("guides/", api.guide_list, name="guide-list"),
    path("guides.ndjson", api.guide_export, name="guide-export"),
    path("guides/<str:code>/", api.guide_detail, name="guide-detail"),
    path("guides/<str:code>/checklist/", api.guide_checklist, name="guide-checklist"),
    path("guides/<str:code>/checklist/verify/", api.guide_checklist_verify, name="guide-checklist-verify"),
    path("journeys/", api.journey_list, name="journey-list"),
    path("journeys/<str:slug>/", api.journey_detail, name="journey-detail"),
    path("changes/", api.changes, name="changes"),
    path("schema/", api.openapi_schema, name="openapi"),
    path("schemas/guide.json", api.guide_json_schema, name="guide-schema"),
    path("schemas/guide/v1.json", api.guide_json_schema, name="guide-schema-v1"),
    path("docs/", api.docs, name="docs"),
    re_path(r"^(?:guides|journeys|changes|schema|schemas|docs)/.+$", api.not_found),
]
