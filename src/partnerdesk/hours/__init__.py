"""Support hours and business time (SPEC R6.1, R6.2, R6.5): pure Python, no Django.

``SupportCalendar.vendor_default()`` is the vendor's schedule; see
:mod:`partnerdesk.hours.calendar` for the design of the engine.
"""

from partnerdesk.hours.calendar import VENDOR_WEEKLY, Closure, OutOfRangeError, SupportCalendar
from partnerdesk.hours.schedule import DailyInterval, IntervalSpec, TimeSpec

__all__ = [
    "VENDOR_WEEKLY",
    "Closure",
    "DailyInterval",
    "IntervalSpec",
    "OutOfRangeError",
    "SupportCalendar",
    "TimeSpec",
]
