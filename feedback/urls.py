from django.urls import path

from feedback import views

urlpatterns = [
    path("<str:code>/useful/", views.vote, name="feedback-vote"),
    path("<str:code>/report/", views.report, name="feedback-report"),
]
