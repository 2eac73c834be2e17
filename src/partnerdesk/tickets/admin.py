"""Tickets are not offered in the Django admin (R9.1): their texts are the partner's, written about its end
customers, and reach the vendor only through the masked rendering path (tickets.selectors.shown). They
change through the services, with their history rows."""
