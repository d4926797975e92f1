from django import forms

from apps.shop.services import MAX_QUANTITY


class OrderForm(forms.Form):
    """One quantity field per product on sale, named ``qty_<product id>``."""

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.products = list(products)
        for product in self.products:
            self.fields[f"qty_{product.pk}"] = forms.IntegerField(
                label=product.name, min_value=0, max_value=MAX_QUANTITY, initial=0, required=False
            )

    def rows(self):
        return [(product, self[f"qty_{product.pk}"]) for product in self.products]

    def quantities(self) -> dict[int, int]:
        return {
            product.pk: self.cleaned_data.get(f"qty_{product.pk}") or 0 for product in self.products
        }

    def clean(self):
        cleaned = super().clean()
        if self.is_bound and not self.errors and not any(self.quantities().values()):
            raise forms.ValidationError("Choose at least one product.")
        return cleaned
