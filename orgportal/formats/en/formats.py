"""English dates as the portal has always written them: day, month, year ("7 Dec 2026")."""

DATE_FORMAT = "j F Y"  # 7 December 2026
DATETIME_FORMAT = "j F Y, H:i T"  # 7 December 2026, 09:15 CET (the viewer's zone)
SHORT_DATE_FORMAT = "j M Y"  # 7 Dec 2026
SHORT_DATETIME_FORMAT = "j M Y, H:i"  # 7 Dec 2026, 09:15
MONTH_DAY_FORMAT = "j M"  # 7 Dec (this year's dates)
TIME_FORMAT = "H:i"
