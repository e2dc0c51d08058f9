from django.urls import path

from bench import views
from config.urls import urlpatterns as site_urlpatterns

urlpatterns = [path("bench/baseline/", views.baseline, name="bench_baseline"), *site_urlpatterns]
