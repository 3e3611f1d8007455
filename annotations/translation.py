"""Model fields kept once per language (django-modeltranslation).

Registering ``Label.name`` and ``Label.description`` adds ``name_en``,
``name_fr``, ``description_en`` and ``description_fr`` columns; reading
``label.name`` then gives the active language's name, or the other language's
when it has none. Slugs are not translated: they are what the API and exports
carry.
"""

from modeltranslation.translator import TranslationOptions, register

from .models import Label


@register(Label)
class LabelTranslationOptions(TranslationOptions):
    fields = ("name", "description")
