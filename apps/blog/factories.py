"""factory_boy factories for the blog (``blog_db``); authors come from ``default``.

They live beside the models, not under tests/, because the ``bulk_data``
command builds its rows with them too.
"""

import factory

from apps.accounts.factories import UserFactory
from apps.blog.models import Comment, Post, Tag


class TagFactory(factory.django.DjangoModelFactory):
    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")

    class Meta:
        model = Tag
        django_get_or_create = ("slug",)


class PostFactory(factory.django.DjangoModelFactory):
    title = factory.Faker("sentence", nb_words=5)
    content = factory.Faker("paragraph", nb_sentences=4)
    author = factory.SubFactory(UserFactory)

    class Meta:
        model = Post
        skip_postgeneration_save = True

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            self.tags.set(extracted)


class CommentFactory(factory.django.DjangoModelFactory):
    post = factory.SubFactory(PostFactory)
    author = factory.SubFactory(UserFactory)
    body = factory.Faker("sentence", nb_words=12)

    class Meta:
        model = Comment
