from django.contrib.auth import views as auth_views
from django.urls import path, register_converter

from partnerdesk.billing import views as billing_views
from partnerdesk.channels import views as channel_views
from partnerdesk.contact import views as contact_views
from partnerdesk.contracts import views as contract_views
from partnerdesk.manual import views as manual_views
from partnerdesk.outbox import views as outbox_views
from partnerdesk.reports import views as report_views
from partnerdesk.tickets import views as ticket_views
from partnerdesk.webhooks import views as webhook_views
from partnerdesk.worklog import views as worklog_views

from . import views
from .params import ObjectIdConverter

register_converter(ObjectIdConverter, "id")

app_name = "web"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("login/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("profile/two-factor/", views.two_factor_setup, name="two_factor_setup"),
    path("profile/two-factor/disable/", views.two_factor_disable, name="two_factor_disable"),
    path("profile/two-factor/requirement/", views.two_factor_requirement, name="two_factor_requirement"),
    path("password/forgot/", views.password_forgot, name="password_forgot"),
    path("password/set/<uidb64>/<token>/", views.PasswordSetView.as_view(), name="password_set"),
    path("language/", views.switch_language, name="switch_language"),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/<id:token_id>/revoke/", views.revoke_token, name="revoke_token"),
    path("partners/", views.partners, name="partners"),
    path("partners/new/", views.partner_create, name="partner_create"),
    path("partners/<id:partner_id>/", views.partner_detail, name="partner"),
    path("end-customers/", views.end_customers, name="end_customers"),
    path("partners/<id:partner_id>/end-customers/new/", views.end_customer_create, name="end_customer_create"),
    path(
        "partners/<id:partner_id>/end-customers/<id:end_customer_id>/",
        views.end_customer_edit,
        name="end_customer",
    ),
    path("users/", views.users, name="users"),
    path("users/invite/", views.user_invite, name="user_invite"),
    path("users/<id:user_id>/active/", views.user_active, name="user_active"),
    path("users/<id:user_id>/role/", views.user_role, name="user_role"),
    path("users/<id:user_id>/invitation/", views.user_resend_invitation, name="user_resend_invitation"),
    # contracts and plans (partnerdesk.contracts)
    path("contracts/", contract_views.contract_list, name="contracts"),
    path("contracts/new/", contract_views.contract_create, name="contract_create"),
    path("contracts/request/", contract_views.contract_request, name="contract_request"),
    path("contracts/<id:contract_id>/", contract_views.contract_detail, name="contract"),
    path("contracts/<id:contract_id>/cancel/", contract_views.contract_cancel, name="contract_cancel"),
    path("contracts/<id:contract_id>/activate/", contract_views.contract_activate, name="contract_activate"),
    path("plans/", contract_views.plan_list, name="plans"),
    path("plans/new/", contract_views.plan_create, name="plan_create"),
    # the operations and installation manual (partnerdesk.manual)
    path("manual/", manual_views.manual_index, name="manual"),
    path("manual/new/", manual_views.manual_section_create, name="manual_section_create"),
    path("manual/suggestions/", manual_views.manual_suggestions, name="manual_suggestions"),
    path("manual/deflection/", manual_views.manual_deflection, name="manual_deflection"),
    path("manual/sections/<id:section_id>/", manual_views.manual_section, name="manual_section"),
    path("manual/sections/<id:section_id>/edit/", manual_views.manual_section_edit, name="manual_section_edit"),
    path(
        "manual/sections/<id:section_id>/publish/", manual_views.manual_section_publish, name="manual_section_publish"
    ),
    # tickets (partnerdesk.tickets)
    path("tickets/", ticket_views.ticket_list, name="tickets"),
    path("tickets/new/", ticket_views.ticket_create, name="ticket_create"),
    path("tickets/<id:ticket_id>/", ticket_views.ticket_detail, name="ticket"),
    path("tickets/<id:ticket_id>/escalate/", ticket_views.ticket_escalate, name="ticket_escalate"),
    path("tickets/<id:ticket_id>/hand-back/", ticket_views.ticket_hand_back, name="ticket_hand_back"),
    path("tickets/<id:ticket_id>/resolve/", ticket_views.ticket_resolve, name="ticket_resolve"),
    path("tickets/<id:ticket_id>/return/", ticket_views.ticket_return, name="ticket_return"),
    path("tickets/<id:ticket_id>/close/", ticket_views.ticket_close, name="ticket_close"),
    path("tickets/<id:ticket_id>/reopen/", ticket_views.ticket_reopen, name="ticket_reopen"),
    path("tickets/<id:ticket_id>/state/", ticket_views.ticket_state, name="ticket_state"),
    path("tickets/<id:ticket_id>/messages/", ticket_views.ticket_message, name="ticket_message"),
    path("tickets/<id:ticket_id>/attachments/", ticket_views.ticket_attachment, name="ticket_attachment"),
    path(
        "tickets/<id:ticket_id>/attachments/<id:attachment_id>/",
        ticket_views.ticket_attachment_download,
        name="ticket_attachment_download",
    ),
    path("tickets/<id:ticket_id>/defects/", ticket_views.ticket_defect, name="ticket_defect"),
    path("tickets/<id:ticket_id>/follow/", ticket_views.ticket_follow, name="ticket_follow"),
    path("tickets/<id:ticket_id>/time/", worklog_views.ticket_time, name="ticket_time"),
    path(
        "tickets/<id:ticket_id>/time/<id:time_entry_id>/delete/",
        worklog_views.ticket_time_delete,
        name="ticket_time_delete",
    ),
    # end-customer contact, audit log, brand (partnerdesk.contact)
    path("contact/authorizations/", contact_views.authorization_list, name="contact_authorizations"),
    path("contact/authorizations/new/", contact_views.authorization_start, name="contact_authorize_start"),
    path("contact/authorizations/<id:authorization_id>/revoke/", contact_views.revoke, name="contact_revoke"),
    path("contact/end-customers/<id:end_customer_id>/authorize/", contact_views.authorize, name="contact_authorize"),
    path("contact/tickets/<id:ticket_id>/", contact_views.ticket_contact, name="contact_ticket"),
    path("contact/tickets/<id:ticket_id>/mail/", contact_views.send_mail, name="contact_send_mail"),
    path("contact/brand/", contact_views.brand, name="contact_brand"),
    path("contact/audit-log/", contact_views.audit_log, name="contact_audit_log"),
    path("contact/audit-log.csv", contact_views.audit_log_csv, name="contact_audit_log_csv"),
    # the outbox of outbound mail (partnerdesk.outbox)
    path("outbox/", outbox_views.outbox_list, name="outbox"),
    path("outbox/<id:outbox_message_id>/", outbox_views.outbox_message, name="outbox_message"),
    path("outbox/<id:outbox_message_id>/retry/", outbox_views.outbox_retry, name="outbox_retry"),
    # inbound mail: the inboxes of quarantined mail, and any received mail's original (partnerdesk.channels)
    path("inbox/", channel_views.inbox, name="inbox"),
    path("inbox/<id:mail_id>/", channel_views.inbox_mail, name="inbox_mail"),
    path("inbox/<id:mail_id>/accept/", channel_views.inbox_accept, name="inbox_accept"),
    path("inbox/<id:mail_id>/pass/", channel_views.inbox_pass, name="inbox_pass"),
    path("inbox/<id:mail_id>/discard/", channel_views.inbox_discard, name="inbox_discard"),
    path("inbox/<id:mail_id>/restore/", channel_views.inbox_restore, name="inbox_restore"),
    path("mail/<id:mail_id>/original/", channel_views.original, name="inbound_original"),
    path("tickets/<id:ticket_id>/callbacks/", channel_views.ticket_callback_request, name="ticket_callback_request"),
    path("callbacks/<id:callback_id>/schedule/", channel_views.callback_schedule, name="callback_schedule"),
    path("appointments/<id:appointment_id>/log/", channel_views.appointment_log, name="appointment_log"),
    path("tickets/<id:ticket_id>/meetings/", channel_views.ticket_meeting_create, name="ticket_meeting_create"),
    path("meetings/<id:meeting_id>/cancel/", channel_views.meeting_cancel, name="meeting_cancel"),
    path("tickets/<id:ticket_id>/remote-sessions/", channel_views.ticket_remote_session, name="ticket_remote_session"),
    path("day-plan/", channel_views.day_plan, name="day_plan"),
    # reports (partnerdesk.reports)
    path("reports/", report_views.report_index, name="reports"),
    path("reports/<slug:name>/", report_views.report_page, name="report"),
    # invoicing (partnerdesk.billing)
    path("billing/settings/", billing_views.billing_settings, name="billing_settings"),
    path("billing/runs/", billing_views.run_list, name="billing_runs"),
    path("billing/runs/<id:run_id>/", billing_views.run_detail, name="billing_run"),
    path("invoices/", billing_views.invoice_list, name="invoices"),
    path("invoices/<id:invoice_id>/", billing_views.invoice_detail, name="invoice"),
    path("invoices/<id:invoice_id>/cancel/", billing_views.invoice_cancel, name="invoice_cancel"),
    path("partners/<id:partner_id>/billing/", billing_views.partner_billing, name="partner_billing"),
    # webhooks to partner systems (partnerdesk.webhooks)
    path("webhooks/", webhook_views.webhook_list, name="webhooks"),
    path("webhooks/<id:webhook_id>/", webhook_views.webhook_detail, name="webhook"),
    path("webhooks/<id:webhook_id>/delete/", webhook_views.webhook_delete, name="webhook_delete"),
    path(
        "webhooks/<id:webhook_id>/deliveries/<id:delivery_id>/redeliver/",
        webhook_views.webhook_redeliver,
        name="webhook_redeliver",
    ),
]
