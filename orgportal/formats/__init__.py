"""The portal's date formats per language (FORMAT_MODULE_PATH): what Django's own locale
formats do not say the way the portal does. Anything not set here comes from Django's.

Templates name them instead of spelling a pattern: `{{ when|date:"SHORT_DATE_FORMAT" }}`
("7 Dec 2026" / "7. Dez. 2026"), `{{ when|date:"DATETIME_FORMAT" }}` (with the time and the
viewer's zone); `orgportal.times.relative_time` uses MONTH_DAY_FORMAT and SHORT_DATE_FORMAT.
"""
