"""One form per report: its page's GET parameters, checked and turned into Python values.

A form is always bound (an empty query string is the report's defaults), so
the page and its CSV validate the same way, and ``report_kwargs()`` hands the
report function dates, ints and strings only: no raw parameter reaches SQL.
"""

from collections.abc import Mapping
from datetime import date

from django import forms
from django.utils import timezone

from apps.analytics import reports

MAX_RANGE_YEARS = 20
# Far enough apart for any real report, near enough that a date plus or minus a
# period never leaves what Python's date and the databases' date functions hold.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)
DEFAULT_LIMIT = 10
MAX_LIMIT = 100


class DateInput(forms.DateInput):
    """The browser's date picker; its value is always ISO (YYYY-MM-DD)."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(
            attrs={
                "min": EARLIEST_DATE.isoformat(),
                "max": LATEST_DATE.isoformat(),
                **(attrs or {}),
            },
            format="%Y-%m-%d",
        )


def years_before(day: date, *, years: int) -> date:
    """The same calendar day *years* earlier (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


class ReportForm(forms.Form):
    """An inclusive range of calendar dates (UTC); either end may be left open."""

    start = forms.DateField(label="From", required=False, widget=DateInput())
    end = forms.DateField(label="To", required=False, widget=DateInput())

    # field -> the value a missing or blank parameter stands for
    defaults: Mapping[str, str] = {}

    def __init__(self, data: Mapping | None = None, **kwargs):
        data = dict(data.items()) if data is not None else {}
        for name, value in self.defaults.items():
            if not data.get(name):
                data[name] = value
        super().__init__(data, **kwargs)

    def clean_start(self):
        return self._within_bounds(self.cleaned_data["start"])

    def clean_end(self):
        return self._within_bounds(self.cleaned_data["end"])

    @staticmethod
    def _within_bounds(day: date | None) -> date | None:
        if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE:
            raise forms.ValidationError(
                "Pick a date between %(earliest)s and %(latest)s.",
                code="out_of_bounds",
                params={"earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat()},
            )
        return day

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start is None:
            return cleaned
        if end is not None and start > end:
            raise forms.ValidationError(
                "The start date is after the end date.", code="start_after_end"
            )
        last = end or timezone.now().date()
        if start < years_before(last, years=MAX_RANGE_YEARS):
            raise forms.ValidationError(
                "Pick a range of at most %(years)s years.",
                code="range_too_long",
                params={"years": MAX_RANGE_YEARS},
            )
        return cleaned

    def report_kwargs(self) -> dict:
        """The keyword arguments of the report function; only once ``is_valid()``."""
        return {"start": self.cleaned_data["start"], "end": self.cleaned_data["end"]}


class UsersAndRevenueForm(ReportForm):
    granularity = forms.ChoiceField(label="Per", choices=reports.GRANULARITIES)

    defaults = {"granularity": "month"}

    def report_kwargs(self) -> dict:
        return {**super().report_kwargs(), "granularity": self.cleaned_data["granularity"]}


class RankingForm(ReportForm):
    """A date range, one optional row to single out, and how many rows."""

    limit = forms.IntegerField(label="Rows", min_value=1, max_value=MAX_LIMIT)

    defaults = {"limit": str(DEFAULT_LIMIT)}
    # The field naming one row, and the report function's argument for it.
    choice_field = ""
    choice_argument = ""

    def __init__(self, data: Mapping | None = None, **kwargs):
        super().__init__(data, **kwargs)
        field = self.fields[self.choice_field]
        field.choices = [("", field.empty_label), *self.choices()]

    def choices(self) -> list[tuple[int, str]]:
        raise NotImplementedError

    def report_kwargs(self) -> dict:
        return {
            **super().report_kwargs(),
            self.choice_argument: self.cleaned_data[self.choice_field],
            "limit": self.cleaned_data["limit"],
        }


class ChoiceOfRow(forms.TypedChoiceField):
    """An optional id from a list of choices: ``None`` when left blank."""

    def __init__(self, *, label: str, empty_label: str):
        super().__init__(label=label, coerce=int, required=False, empty_value=None)
        self.empty_label = empty_label


class TopProductsForm(RankingForm):
    product = ChoiceOfRow(label="Product", empty_label="All products")

    choice_field = "product"
    choice_argument = "product_id"

    def choices(self) -> list[tuple[int, str]]:
        return reports.product_choices()


class MostCommentedAuthorsForm(RankingForm):
    author = ChoiceOfRow(label="Author", empty_label="All authors")

    choice_field = "author"
    choice_argument = "author_id"

    def choices(self) -> list[tuple[int, str]]:
        return reports.author_choices()
