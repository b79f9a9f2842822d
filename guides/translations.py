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

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext as _
from wagtail.models import Locale, Page
from wagtail_localize.fields import TranslatableField


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
def translate(source, language: str, texts: dict[str, str], *, user=None, publish: bool = True):
    """What an editor does in the admin's translation screen, done by code (the demo, tests, a
    restore): take the source guide's content for translation (wagtail-localize's
    TranslationSource, made or refreshed: a sync), give the translated text of the fields named
    in ``texts`` (field → text; the others keep the source's), and publish the translation (or
    save it as a draft). Returns it."""
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
    if publish:
        translation.get_latest_revision().publish(user=user)
        translation.refresh_from_db()
    return translation


def translatable_paths() -> list[str]:
    """The segment paths a guide's translation may give: its translatable fields (each one a
    segment of its own when the source has text in it)."""
    from guides.models import GuidePage

    return [field.field_name for field in GuidePage.translatable_fields if isinstance(field, TranslatableField)]


def translated_texts(source, locale) -> dict[str, str]:
    """The translated texts of the source guide in ``locale`` by segment path, in the order of
    the segments: what was entered for the source's content as last taken for translation (the
    StringTranslations of its TranslationSource's segments)."""
    from wagtail_localize.models import StringSegment, StringTranslation, TranslationSource

    translation_source = TranslationSource.objects.filter(object_id=source.translation_key, locale_id=source.locale_id).first()
    if translation_source is None:
        return {}
    segments = {
        (segment.string_id, segment.context_id): (segment.order, segment.context.path)
        for segment in StringSegment.objects.filter(source=translation_source).select_related("context")
    }
    found = StringTranslation.objects.filter(locale=locale, context_id__in={context for _, context in segments})
    texts = sorted(
        (segments[key], text.data)
        for text in found
        if (key := (text.translation_of_id, text.context_id)) in segments
    )
    return {path: data for (_order, path), data in texts}


def content_locale(language: str) -> Locale:
    """The locale of a content language: created on first use if the language is one the portal
    publishes in (WAGTAIL_CONTENT_LANGUAGES); any other language is a ValidationError."""
    locale = Locale.objects.filter(language_code=language).first()
    if locale is not None:
        return locale
    languages = dict(settings.WAGTAIL_CONTENT_LANGUAGES)
    if language not in languages:
        raise ValidationError(
            _("语言“%(language)s”不是本站的内容语言（可用：%(languages)s）")
            % {"language": language, "languages": "、".join(languages)}
        )
    return Locale.objects.create(language_code=language)


@transaction.atomic
def write_translation(record: dict, *, user=None) -> str:
    """Give a source guide the translation a catalogue line describes (guides.importer; the
    demo's translations.json is lines of the same shape): through ``translate``, as an editor
    would, unless the translation already says what the line says. Returns "created", "updated"
    or "unchanged".

    ``record``: ``code`` and ``language``; ``fields``, the translated texts by segment path;
    optionally ``live`` (default true) and, as an export writes them, ``synced_at`` and the
    translation's publication times, which are then given back as they were: a translation that
    was behind its source (``is_out_of_date``) is still behind it after a restore, and one that
    was not is not. A text for a field the source has no text in (a translation out of date,
    whose source has since emptied the field) has nothing to translate and is left out, as the
    next sync in the admin would leave it out."""
    from guides.models import GuidePage

    source = GuidePage.sources.filter(code=record["code"]).first()
    if source is None:
        raise ValidationError(_("译文所属的事项“%(code)s”不存在") % {"code": record["code"]})
    if record["language"] == source.locale.language_code:
        raise ValidationError(_("译文的语言不能是事项原文的语言（%(language)s）") % {"language": record["language"]})
    allowed = translatable_paths()
    unknown = [path for path in record["fields"] if path not in allowed]
    if unknown:
        raise ValidationError(
            _("未知的译文字段：%(unknown)s（可翻译的字段：%(allowed)s）")
            % {"unknown": "、".join(unknown), "allowed": "、".join(allowed)}
        )
    locale = content_locale(record["language"])
    texts = {path: text for path, text in record["fields"].items() if getattr(source, path)}
    times = {name: record[name] for name in ("first_published_at", "last_published_at") if name in record}
    current = GuidePage.objects.filter(translation_key=source.translation_key, locale=locale).first()
    if current is not None and (
        translated_texts(source, locale) == texts
        and current.live == record["live"]
        and record.get("synced_at") in (None, synced_at(source))
        and all(getattr(current, name) == value for name, value in times.items())
    ):
        return "unchanged"
    translation = translate(source, locale.language_code, texts, user=user, publish=record["live"])
    if not record["live"] and translation.live:
        translation.unpublish(user=user)
    if times:
        Page.objects.filter(pk=translation.pk).update(**times)
    if record.get("synced_at") is not None:
        from wagtail_localize.models import TranslationSource

        TranslationSource.objects.filter(object_id=source.translation_key, locale_id=source.locale_id).update(
            last_updated_at=record["synced_at"]
        )
    return "created" if current is None else "updated"
