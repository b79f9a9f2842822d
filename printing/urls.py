from django.urls import path

from printing import views

urlpatterns = [
    path("g/<str:code>/pdf/", views.guide_pdf, name="guide-pdf"),
    path("g/<str:code>/counter.pdf", views.counter_pdf, name="guide-counter-pdf"),
    path("j/<slug:slug>/pdf/", views.journey_pdf, name="journey-pdf"),
]
