from django.urls import path

from kiosk import views

app_name = "kiosk"

urlpatterns = [
    path("", views.start, name="start"),
    path("section/<slug:slug>/", views.section, name="section"),
    path("department/<str:code>/", views.department, name="department"),
    path("theme/<slug:slug>/", views.theme, name="theme"),
    path("g/<str:code>/", views.guide, name="guide"),
    path("g/<str:code>/print/", views.guide_print, name="print"),
    path("j/<slug:slug>/", views.journey, name="journey"),
]
