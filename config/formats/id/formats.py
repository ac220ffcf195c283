"""One date format per language (Asia/Pontianak times, shown with "WIB"):
"7 Des 2026" and "7 Des 2026 14:05". Django's own Indonesian format is
"j N Y" ("7 Des. 2026"); the portal used four formats before."""
DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y H:i"
