from django.urls import path

from . import views

app_name = "annotations"

urlpatterns = [
    path("", views.article_list, name="article_list"),
]
