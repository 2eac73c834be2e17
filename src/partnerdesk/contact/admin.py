"""Authorisations and the audit log are not offered in the Django admin (R9.1, R9.4): they name end customers'
contact persons and tickets. Authorisations change through the services (with their audit rows); the audit
log is read on its own page and verified with `partnerdesk audit verify`."""
