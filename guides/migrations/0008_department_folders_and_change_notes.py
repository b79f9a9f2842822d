"""Department folders under the guide index, with every guide moved into its department's folder
(public addresses do not change: a guide's address skips its folder); change notes kept per
revision (the page keeps the published one); sort orders for the inline rows that had none."""

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

# Treebeard's materialised path: fixed-width steps in base 36 (wagtail.models.Page.steplen).
STEPLEN = 4
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def step(number):
    digits = ""
    while number:
        number, rest = divmod(number, len(ALPHABET))
        digits = ALPHABET[rest] + digits
    return digits.rjust(STEPLEN, "0")


def step_number(path):
    return int(path[-STEPLEN:], len(ALPHABET))


def folder_slug(code):
    return "dept-" + slugify(code.replace(".", "-"))


def move_guides_into_folders(apps, schema_editor):
    Page = apps.get_model("wagtailcore", "Page")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Department = apps.get_model("guides", "Department")
    GuideIndexPage = apps.get_model("guides", "GuideIndexPage")
    GuidePage = apps.get_model("guides", "GuidePage")
    DepartmentFolderPage = apps.get_model("guides", "DepartmentFolderPage")

    index = GuideIndexPage.objects.order_by("path").first()
    if index is None:
        return
    folder_type, _ = ContentType.objects.get_or_create(app_label="guides", model="departmentfolderpage")
    children = Page.objects.filter(path__startswith=index.path, depth=index.depth + 1)
    last = children.order_by("-path").values_list("path", flat=True).first()
    next_step = step_number(last) + 1 if last else 1
    taken_slugs = set(children.values_list("slug", flat=True))
    now = timezone.now()
    folders = {}
    for department in Department.objects.order_by("sort_order", "name", "pk"):
        slug = base = folder_slug(department.code)
        number = 2
        while slug in taken_slugs:
            slug, number = f"{base}-{number}", number + 1
        taken_slugs.add(slug)
        folders[department.pk] = DepartmentFolderPage.objects.create(
            title=department.name, draft_title=department.name, slug=slug, content_type=folder_type,
            path=index.path + step(next_step), depth=index.depth + 1, numchild=0,
            url_path=f"{index.url_path}{slug}/", live=True, has_unpublished_changes=False,
            first_published_at=now, last_published_at=now, locale_id=index.locale_id,
            translation_key=uuid.uuid4(), department=department,
        )
        next_step += 1

    guides = list(
        GuidePage.objects.filter(path__startswith=index.path, depth=index.depth + 1)
        .order_by("path")
        .values_list("pk", "department_id", "slug")
    )
    counts = {}
    moved = []
    for pk, department_id, slug in guides:
        folder = folders[department_id]
        counts[department_id] = counts.get(department_id, 0) + 1
        moved.append(
            Page(
                pk=pk, path=folder.path + step(counts[department_id]), depth=index.depth + 2,
                url_path=f"{folder.url_path}{slug}/",
            )
        )
    Page.objects.bulk_update(moved, ["path", "depth", "url_path"], batch_size=500)
    for department_id, count in counts.items():
        Page.objects.filter(pk=folders[department_id].pk).update(numchild=count)
    Page.objects.filter(pk=index.pk).update(numchild=F("numchild") - len(guides) + len(folders))


def move_guides_out_of_folders(apps, schema_editor):
    Page = apps.get_model("wagtailcore", "Page")
    GuideIndexPage = apps.get_model("guides", "GuideIndexPage")
    DepartmentFolderPage = apps.get_model("guides", "DepartmentFolderPage")

    index = GuideIndexPage.objects.order_by("path").first()
    if index is None:
        return
    folders = list(DepartmentFolderPage.objects.filter(path__startswith=index.path))
    last = (
        Page.objects.filter(path__startswith=index.path, depth=index.depth + 1)
        .order_by("-path").values_list("path", flat=True).first()
    )
    next_step = step_number(last) + 1 if last else 1
    moved = []
    for folder in folders:
        for page in Page.objects.filter(path__startswith=folder.path, depth=folder.depth + 1).order_by("path"):
            moved.append(
                Page(pk=page.pk, path=index.path + step(next_step), depth=index.depth + 1,
                     url_path=f"{index.url_path}{page.slug}/")
            )
            next_step += 1
    Page.objects.bulk_update(moved, ["path", "depth", "url_path"], batch_size=500)
    Page.objects.filter(pk=index.pk).update(numchild=F("numchild") + len(moved) - len(folders))
    for folder in folders:
        DepartmentFolderPage.objects.filter(pk=folder.pk).delete()
        Page.objects.filter(pk=folder.pk).delete()


def keep_published_notes_with_their_revisions(apps, schema_editor):
    GuidePage = apps.get_model("guides", "GuidePage")
    RevisionChangeNote = apps.get_model("guides", "RevisionChangeNote")
    notes = GuidePage.objects.exclude(published_change_note="").filter(live_revision__isnull=False)
    RevisionChangeNote.objects.bulk_create(
        [
            RevisionChangeNote(revision_id=revision_id, text=text)
            for revision_id, text in notes.values_list("live_revision_id", "published_change_note")
        ],
        ignore_conflicts=True,
    )


INLINE_MODELS = ("GuideLegalBasis", "GuideSituation", "GuideMaterial", "GuideStep", "GuideFeeItem", "GuideFAQ")


def number_unordered_rows(apps, schema_editor):
    """Imported rows had no sort order: number every guide's rows of a relation where any lacks
    one, in the order SQLite shows them (rows without a number first, then by number, then by
    id), so that no row moves on the pages."""
    for name in INLINE_MODELS:
        model = apps.get_model("guides", name)
        guides = model.objects.filter(sort_order__isnull=True).values_list("guide_id", flat=True).distinct()
        for guide_id in list(guides):
            rows = list(
                model.objects.filter(guide_id=guide_id).order_by(F("sort_order").asc(nulls_first=True), "pk")
            )
            for position, row in enumerate(rows):
                row.sort_order = position
            model.objects.bulk_update(rows, ["sort_order"])


class Migration(migrations.Migration):

    dependencies = [
        ('guides', '0007_material_marks'),
        ('wagtailcore', '0098_apitoken'),
    ]

    operations = [
        migrations.CreateModel(
            name='RevisionChangeNote',
            fields=[
                ('revision', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='guide_change_note', serialize=False, to='wagtailcore.revision')),
                ('text', models.TextField(verbose_name='变更说明')),
            ],
            options={
                'verbose_name': '变更说明',
                'verbose_name_plural': '变更说明',
            },
        ),
        migrations.AlterModelOptions(
            name='guidepage',
            options={'permissions': [('change_technical_keys', '可修改技术标识（网址标识、情形参数名）')], 'verbose_name': '办事指南', 'verbose_name_plural': '办事指南'},
        ),
        migrations.RenameField(model_name='guidepage', old_name='change_note', new_name='published_change_note'),
        migrations.AlterField(
            model_name='guidepage',
            name='published_change_note',
            field=models.TextField(blank=True, editable=False, verbose_name='已发布的变更说明'),
        ),
        migrations.AddField(
            model_name='guidepage',
            name='last_reviewed_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='最近审核'),
        ),
        migrations.CreateModel(
            name='DepartmentFolderPage',
            fields=[
                ('page_ptr', models.OneToOneField(auto_created=True, on_delete=django.db.models.deletion.CASCADE, parent_link=True, primary_key=True, serialize=False, to=settings.WAGTAIL_PAGE_MODEL)),
                ('department', models.OneToOneField(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='folder', to='guides.department', verbose_name='部门')),
            ],
            options={
                'verbose_name': '部门指南目录',
                'verbose_name_plural': '部门指南目录',
            },
            bases=('wagtailcore.page',),
        ),
        migrations.RunPython(move_guides_into_folders, move_guides_out_of_folders),
        migrations.RunPython(keep_published_notes_with_their_revisions, migrations.RunPython.noop),
        migrations.RunPython(number_unordered_rows, migrations.RunPython.noop),
    ]
