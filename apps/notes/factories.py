"""factory_boy factories for notes (``default``).

They live beside the models, not under tests/, like the other apps' factories.
"""

import factory

from apps.accounts.factories import UserFactory
from apps.notes.models import Note


class NoteFactory(factory.django.DjangoModelFactory):
    text = factory.Faker("sentence", nb_words=8)
    author = factory.SubFactory(UserFactory)

    class Meta:
        model = Note
