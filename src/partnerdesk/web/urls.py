from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "web"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/<int:token_id>/revoke/", views.revoke_token, name="revoke_token"),
    path("partners/", views.partners, name="partners"),
    path("partners/<int:partner_id>/", views.partner_detail, name="partner"),
    path("end-customers/", views.end_customers, name="end_customers"),
    path(
        "partners/<int:partner_id>/end-customers/new/", views.end_customer_create, name="end_customer_create"
    ),
    path(
        "partners/<int:partner_id>/end-customers/<int:end_customer_id>/",
        views.end_customer_edit,
        name="end_customer",
    ),
    path("users/", views.users, name="users"),
    path("users/<int:user_id>/active/", views.user_active, name="user_active"),
]
