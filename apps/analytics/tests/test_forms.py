"""The report forms: parameters in, Python values out, or a form error."""

from datetime import date

import pytest
from django.http import QueryDict

from apps.analytics.forms import (
    MostCommentedAuthorsForm,
    TopProductsForm,
    UsersAndRevenueForm,
    years_before,
)
from apps.analytics.tests.conftest import DATABASES

warehouse_db = pytest.mark.django_db(databases=DATABASES, transaction=True)


def test_no_parameters_are_all_time_per_month():
    form = UsersAndRevenueForm(QueryDict(""))
    assert form.is_valid(), form.errors
    assert form.report_kwargs() == {"start": None, "end": None, "granularity": "month"}


def test_dates_and_granularity_become_python_values():
    form = UsersAndRevenueForm(
        QueryDict("start=2026-01-01&end=2026-12-31&granularity=quarter&extra=ignored")
    )
    assert form.is_valid(), form.errors
    assert form.report_kwargs() == {
        "start": date(2026, 1, 1),
        "end": date(2026, 12, 31),
        "granularity": "quarter",
    }


def test_blank_granularity_is_the_default_and_the_select_shows_it():
    form = UsersAndRevenueForm(QueryDict("granularity=&start="))
    assert form.is_valid()
    assert form.cleaned_data["granularity"] == "month"
    assert '<option value="month" selected>' in str(form["granularity"])


def test_date_fields_are_html_date_inputs():
    html = str(UsersAndRevenueForm()["start"])
    assert 'type="date"' in html


def test_one_open_end_is_allowed():
    assert UsersAndRevenueForm({"start": "2026-01-01"}).is_valid()
    assert UsersAndRevenueForm({"end": "2026-01-01"}).is_valid()


def test_start_after_end_is_a_form_error():
    form = UsersAndRevenueForm({"start": "2026-02-01", "end": "2026-01-31"})
    assert not form.is_valid()
    assert form.non_field_errors() == ["The start date is after the end date."]


def test_the_same_day_is_a_range_of_one_day():
    assert UsersAndRevenueForm({"start": "2026-02-01", "end": "2026-02-01"}).is_valid()


def test_a_range_over_twenty_years_is_a_form_error():
    exactly = UsersAndRevenueForm({"start": "2006-03-01", "end": "2026-03-01"})
    over = UsersAndRevenueForm({"start": "2006-02-28", "end": "2026-03-01"})
    assert exactly.is_valid()
    assert not over.is_valid()
    assert over.non_field_errors() == ["Pick a range of at most 20 years."]


def test_an_open_end_counts_as_today_for_the_twenty_years():
    form = UsersAndRevenueForm({"start": "1950-01-01"})
    assert not form.is_valid()
    assert form.non_field_errors() == ["Pick a range of at most 20 years."]


def test_twenty_years_before_a_leap_day():
    assert years_before(date(2024, 2, 29), years=20) == date(2004, 2, 29)
    assert years_before(date(2024, 2, 29), years=1) == date(2023, 2, 28)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"granularity": "decade"}, "granularity"),
        ({"granularity": "month'; DROP TABLE user_metrics; --"}, "granularity"),
        ({"start": "yesterday"}, "start"),
        ({"start": "2026-02-30"}, "start"),
        ({"end": "0001-01-01"}, "end"),
        ({"end": "9999-12-31"}, "end"),
    ],
)
def test_bad_values_are_field_errors(data, field):
    form = UsersAndRevenueForm(data)
    assert not form.is_valid()
    assert list(form.errors) == [field]


@warehouse_db
def test_ranking_forms_default_to_every_row_and_the_top_ten(empty_warehouse):
    products, authors = TopProductsForm({}), MostCommentedAuthorsForm({})
    assert products.is_valid() and authors.is_valid()
    assert products.report_kwargs() == {"start": None, "end": None, "product_id": None, "limit": 10}
    assert authors.report_kwargs() == {"start": None, "end": None, "author_id": None, "limit": 10}


@warehouse_db
@pytest.mark.parametrize("form_class", [TopProductsForm, MostCommentedAuthorsForm])
@pytest.mark.parametrize("value", ["999999", "abc", "1.5", "-1"])
def test_an_unknown_product_or_author_is_a_form_error(empty_warehouse, form_class, value):
    form = form_class({form_class.choice_field: value})
    assert not form.is_valid()
    assert list(form.errors) == [form_class.choice_field]


@warehouse_db
@pytest.mark.parametrize("limit", ["0", "101", "ten"])
def test_limit_is_between_one_and_a_hundred(empty_warehouse, limit):
    form = TopProductsForm({"limit": limit})
    assert not form.is_valid()
    assert list(form.errors) == ["limit"]


@pytest.mark.sqlite_only
@warehouse_db
def test_choices_come_from_the_warehouse_and_reach_the_report_as_ints(warehouse):
    lamp, alice = warehouse["lamp"], warehouse["alice"]
    products = TopProductsForm({"product": str(lamp.pk), "limit": "5"})
    authors = MostCommentedAuthorsForm({"author": str(alice.pk)})
    assert products.is_valid(), products.errors
    assert authors.is_valid(), authors.errors
    assert products.report_kwargs()["product_id"] == lamp.pk
    assert products.report_kwargs()["limit"] == 5
    assert authors.report_kwargs()["author_id"] == alice.pk
    choices = dict(products.fields["product"].choices)
    assert choices[""] == "All products"
    assert choices[lamp.pk] == lamp.name
    assert dict(authors.fields["author"].choices)[alice.pk] == "alice"
