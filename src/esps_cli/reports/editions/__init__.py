"""Editions people read without Excel: one single-file web page per report (HTML from Jinja2
templates, inline CSS and SVG, no script, nothing fetched) and a tagged A4 PDF made from the
same page (WeasyPrint). Each edition is built in two steps: a model of what it says (from the
report models: SummaryReport, UnitStanding, WorkbookReport), then the template that lays it
out. The xlsx reports stay for analysts."""
