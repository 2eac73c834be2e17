from django.urls import path

import partnerdesk.web.urls  # noqa: F401 - registers the "id" path converter

from . import views

app_name = "ops"

BASE = "partners/<id:partner_id>/end-customers/<id:end_customer_id>/contacts/<id:contact_person_id>/personal-data/"

urlpatterns = [
    path(BASE, views.personal_data, name="personal_data"),
    path(f"{BASE}erase/", views.personal_data_erase, name="personal_data_erase"),
]
