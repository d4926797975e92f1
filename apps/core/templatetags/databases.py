"""``{% db alias %}``: an alias in its database's colour; ``{% database_colours %}``: the CSS."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from apps.core import palette

register = template.Library()


@register.simple_tag
def db(label, alias=None):
    """``<span class="db" data-db="blog_db">blog_db</span>``.

    The colour follows the label's first word (``"default (pinned)"`` is
    default's), or *alias* when the label is something else.
    """
    label = "" if label is None else str(label)
    alias = alias or (label.split() or [""])[0]
    return format_html('<span class="db" data-db="{}">{}</span>', alias, label)


@register.simple_tag
def database_colours():
    return mark_safe(f"<style>{palette.css()}</style>")  # aliases come from settings
