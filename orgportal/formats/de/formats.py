"""German dates ("7. Dezember 2026, 09:15"; short: "7. Dez. 2026")."""

DATE_FORMAT = "j. F Y"  # 7. Dezember 2026
DATETIME_FORMAT = "j. F Y, H:i T"  # 7. Dezember 2026, 09:15 CET (the viewer's zone)
SHORT_DATE_FORMAT = "j. N Y"  # 7. Dez. 2026, 7. März 2026
SHORT_DATETIME_FORMAT = "j. N Y, H:i"  # 7. Dez. 2026, 09:15
MONTH_DAY_FORMAT = "j. N"  # 7. Dez. (this year's dates)
TIME_FORMAT = "H:i"
