"""Mounted at /api/v1/cpsv-ap/ by portal.urls."""

from django.urls import path

from feed import cpsv_views

urlpatterns = [
    path("guides/<str:code>/", cpsv_views.guide, name="cpsv-ap-guide"),
    path("catalogue/", cpsv_views.catalogue, name="cpsv-ap-catalogue"),
    path("context.jsonld", cpsv_views.context, name="cpsv-ap-context"),
]
