"""Guide translations (wagtail-localize): which page is a guide's source, which its translation,
and whether a translation is behind its source.

The Chinese page is the guide: its code, its checklist and fingerprint, its feed events, its
sheets. A translation is a page in another locale with the same ``translation_key`` (and the same
code, unique per locale). ``GuidePage.sources`` holds the source pages only, so every lookup by code
(the short link, the feed, sheets, the kiosk, search, journeys, the importer) finds the Chinese page;
an English reader is shown the translation where routing reaches the guide
(``GuideIndexPage.route``).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from wagtail.models import Locale


@cache
def source_locale_id() -> int:
    """The id of the default locale (LANGUAGE_CODE, Chinese), in which every guide is written.
    Asked on every query of ``GuidePage.sources``, so kept per process (forgotten when a locale
    is saved or deleted)."""
    return Locale.get_default().pk


def _forget_source_locale(**kwargs) -> None:
    source_locale_id.cache_clear()


post_save.connect(_forget_source_locale, sender=Locale, dispatch_uid="guides.forget_source_locale_save")
post_delete.connect(_forget_source_locale, sender=Locale, dispatch_uid="guides.forget_source_locale_delete")


def is_translation(page) -> bool:
    """Whether ``page`` is a translation (not in the source locale; a page not yet placed in the
    tree has no locale and is not)."""
    return page.locale_id is not None and page.locale_id != source_locale_id()


def live_translation(source, language: str):
    """The live translation of the source guide ``source`` into ``language``, or None (also for
    the source's own language)."""
    from guides.models import GuidePage

    if source.locale_id != source_locale_id():
        return None
    return (
        GuidePage.objects.live()
        .filter(translation_key=source.translation_key, locale__language_code=language)
        .exclude(locale_id=source.locale_id)
        .select_related("department", "intake_window__hall", "delivery_window__hall")
        .first()
    )


def source_of(translation):
    """The source guide of a translation (the page itself for a source)."""
    from guides.models import GuidePage

    if not is_translation(translation):
        return translation
    return (
        GuidePage.sources.filter(translation_key=translation.translation_key)
        .select_related("department", "intake_window__hall", "delivery_window__hall")
        .first()
    )


def synced_at(source) -> datetime | None:
    """When the source's content was last taken for translation (wagtail-localize's
    TranslationSource: created on the first translation, refreshed by "Sync translated pages"),
    or None if it never was."""
    from wagtail_localize.models import TranslationSource

    return (
        TranslationSource.objects.filter(object_id=source.translation_key, locale_id=source.locale_id)
        .values_list("last_updated_at", flat=True)
        .first()
    )


def is_out_of_date(source) -> bool:
    """Whether the source was published after its content was last taken for translation: its
    translations may then say what the Chinese page no longer says."""
    taken = synced_at(source)
    if taken is None:
        return True
    return source.last_published_at is not None and source.last_published_at > taken


@transaction.atomic
def translate(source, language: str, texts: dict[str, str], *, user=None):
    """What an editor does in the admin's translation screen, done by code (the demo, tests):
    take the source guide's content for translation (wagtail-localize's TranslationSource, made
    or refreshed: a sync), give the translated text of the fields named in ``texts`` (field →
    text; the others keep the source's), and publish the translation. Returns it."""
    from wagtail_localize.models import (
        StringSegment,
        StringTranslation,
        Translation,
        TranslationSource,
    )

    from guides.models import GuidePage

    locale = Locale.objects.get(language_code=language)
    translation_source, _created = TranslationSource.update_or_create_from_instance(source)
    Translation.objects.get_or_create(source=translation_source, target_locale=locale)
    for segment in StringSegment.objects.filter(source=translation_source).select_related("context", "string"):
        text = texts.get(segment.context.path)
        if text is not None:
            StringTranslation.objects.update_or_create(
                translation_of=segment.string,
                locale=locale,
                context=segment.context,
                defaults={"data": text, "translation_type": StringTranslation.TRANSLATION_TYPE_MANUAL, "last_translated_by": user},
            )
    translation_source.create_or_update_translation(locale, user=user, publish=False, copy_parent_pages=True, fallback=True)
    translation = GuidePage.objects.get(translation_key=source.translation_key, locale=locale)
    translation.get_latest_revision().publish(user=user)
    translation.refresh_from_db()
    return translation
