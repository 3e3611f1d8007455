# Our formats for English; anything not set here is Django's.
# "30 Nov 2026, 22:52": day first and a 24-hour clock, like the French pages,
# never the ambiguous "11/30/2026".
SHORT_DATETIME_FORMAT = "j M Y, H:i"
# The dashboard chart: a day under a bar ("30 Nov") and in its title
# ("Mon 30 Nov").
CHART_DAY_FORMAT = "j M"
CHART_DATE_FORMAT = "D j M"
# The history pages: "30 November 2026, 22:52".
DATETIME_FORMAT = "j F Y, H:i"
