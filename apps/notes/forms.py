from django import forms

from apps.notes.models import TEXT_MAX_LENGTH


class NoteForm(forms.Form):
    # CharField strips whitespace, so a note of only spaces is "required" too.
    text = forms.CharField(
        label="Your note",
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": TEXT_MAX_LENGTH}),
    )


class ReplayActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            ("pause", "Pause replay and write a note"),
            ("write", "Write a note"),
            ("resume", "Resume replay"),
        ]
    )
