from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Reports and role dashboards (R11): read-only, on top of every other app."""

    name = "partnerdesk.reports"
    label = "reports"
    default_auto_field = "django.db.models.BigAutoField"
