"""The staff page's forms: which logical shard to move where, and what to do with a move."""

from django import forms

from routers.shard_map import logical_shard_count, shard_aliases


class MoveStartForm(forms.Form):
    logical_shard = forms.TypedChoiceField(coerce=int, label="Logical shard")
    target = forms.ChoiceField(label="To")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["logical_shard"].choices = [(n, n) for n in range(logical_shard_count())]
        self.fields["target"].choices = [(alias, alias) for alias in shard_aliases()]


class MoveActionForm(forms.Form):
    action = forms.ChoiceField(choices=[("resume", "Resume"), ("abort", "Abort")])
    logical_shard = forms.IntegerField(min_value=0)
