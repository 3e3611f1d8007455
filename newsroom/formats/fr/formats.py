# Our formats for French; anything not set here is Django's.
# "30 nov. 2026 22:52", as a French newsroom abbreviates a date and time.
SHORT_DATETIME_FORMAT = "j N Y H:i"
# Thousands apart by a narrow no-break space (espace fine insécable): "12 345".
THOUSAND_SEPARATOR = "\u202f"
# The dashboard chart: a day under a bar ("30 nov.") and in its title
# ("lundi 30 nov.").
CHART_DAY_FORMAT = "j N"
CHART_DATE_FORMAT = "l j N"
