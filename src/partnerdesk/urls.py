from django.contrib import admin
from django.urls import include, path

from partnerdesk.api.v1 import api
from partnerdesk.ops import views as ops_views

urlpatterns = [
    path("healthz", ops_views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("metrics", ops_views.metrics, name="metrics"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("partnerdesk.ops.urls")),
    path("", include("partnerdesk.web.urls")),
]

handler400 = "partnerdesk.web.views.bad_request"
handler403 = "partnerdesk.web.views.forbidden"
handler404 = "partnerdesk.web.views.not_found"
# The request id goes back with every server error (the error is logged by django.request).
handler500 = "partnerdesk.web.views.server_error"
