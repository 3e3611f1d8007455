import factory
from django.contrib.auth import get_user_model

from annotations.models import Article, Label, Span
from annotations.text import sha256_hex


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    title = factory.Sequence(lambda n: f"Article {n}")
    text = "« Bonjour », dit Zoé 🚀 à l’équipe de Montréal."
    text_sha256 = factory.LazyAttribute(lambda a: sha256_hex(a.text))
    language = "fr"
    uploaded_by = factory.SubFactory(UserFactory)


class SpanFactory(factory.django.DjangoModelFactory):
    """A span over ``article.text[start:end]``; pass a label from the seeded set."""

    class Meta:
        model = Span

    article = factory.SubFactory(ArticleFactory)
    label = factory.LazyFunction(lambda: Label.objects.get(slug="quote"))
    start = 0
    end = factory.LazyAttribute(lambda s: len(s.article.text))
    text = factory.LazyAttribute(lambda s: s.article.text[s.start : s.end])
    created_by = factory.LazyAttribute(lambda s: s.article.uploaded_by)
