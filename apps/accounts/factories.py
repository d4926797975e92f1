"""factory_boy factories for users (``default``).

Factories keep factory_boy's default ``database``, so each row goes where the
router sends its model, exactly as application code does.

They live beside the models, not under tests/, because the ``bulk_data``
command builds its rows with them too.
"""

import factory
from django.contrib.auth import get_user_model

DEFAULT_PASSWORD = "multidb-demo"


class UserFactory(factory.django.DjangoModelFactory):
    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(DEFAULT_PASSWORD)

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True
