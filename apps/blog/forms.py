from django import forms


class PostForm(forms.Form):
    title = forms.CharField(max_length=200)
    content = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), max_length=20000)
    tags = forms.CharField(
        required=False, max_length=200, help_text="Comma-separated, e.g. django, databases"
    )

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError("A title can't be only spaces.")
        return title

    def clean_tags(self):
        names = [name.strip() for name in self.cleaned_data["tags"].split(",")]
        names = [name for name in names if name]
        if len(names) > 10:
            raise forms.ValidationError("Use at most 10 tags.")
        if any(len(name) > 50 for name in names):
            raise forms.ValidationError("A tag is at most 50 characters.")
        return names


class CommentForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
