# The catalog change counter moves to ingestion.CatalogState; the rebuilds keep the count they last rebuilt from.
# The data is carried over so that a deployed site neither rebuilds nor misses a rebuild because of the move:
# a clean dataset stays clean (rebuilt count = change count), a dirty one stays dirty (change count > rebuilt).

from django.db import migrations, models

SINGLETON_PK = 1


def move_the_count_to_the_catalog(apps, schema_editor):
    dataset_state = apps.get_model("recommendations", "DatasetState")
    catalog_state = apps.get_model("ingestion", "CatalogState")
    state = dataset_state.objects.filter(pk=SINGLETON_PK).first()
    if state is None:
        return  # nothing was ever recorded: both start at 0, clean
    dirty = state.dirty_noted_at is not None  # renamed from dirty_since just before this step
    change_count = max(state.change_count, state.rebuilt_change_count + 1) if dirty else state.change_count
    catalog_state.objects.update_or_create(
        pk=SINGLETON_PK,
        defaults={
            "change_count": change_count,
            "last_change_at": state.last_change_at,
            "last_change_reason": state.last_change_reason,
        },
    )
    if not dirty:
        state.rebuilt_change_count = change_count
        state.save(update_fields=["rebuilt_change_count"])


def move_the_count_back(apps, schema_editor):
    dataset_state = apps.get_model("recommendations", "DatasetState")
    catalog_state = apps.get_model("ingestion", "CatalogState")
    catalog = catalog_state.objects.filter(pk=SINGLETON_PK).first()
    state = dataset_state.objects.filter(pk=SINGLETON_PK).first()
    if catalog is None or state is None:
        return
    state.change_count = catalog.change_count
    state.last_change_at = catalog.last_change_at
    state.last_change_reason = catalog.last_change_reason
    if catalog.change_count > state.rebuilt_change_count:
        state.dirty_noted_at = state.dirty_noted_at or catalog.last_change_at
    else:
        state.dirty_noted_at = None
    state.save()


class Migration(migrations.Migration):

    dependencies = [
        ("ingestion", "0004_catalog_state"),
        ("recommendations", "0004_offline_evaluation"),
    ]

    operations = [
        migrations.RenameField(model_name="datasetstate", old_name="dirty_since", new_name="dirty_noted_at"),
        migrations.RunPython(move_the_count_to_the_catalog, move_the_count_back),
        migrations.RemoveField(model_name="datasetstate", name="change_count"),
        migrations.RemoveField(model_name="datasetstate", name="last_change_at"),
        migrations.RemoveField(model_name="datasetstate", name="last_change_reason"),
        migrations.AlterField(
            model_name="datasetstate",
            name="dirty_noted_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When the first change no rebuild has seen was made (or, for changes made during the last "
                "rebuild, when it read the catalog); empty until a rebuild check or this page notes it.",
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="datasetstate",
            name="rebuilt_change_count",
            field=models.PositiveBigIntegerField(
                default=0, help_text="The catalog change count the last successful rebuild started from."
            ),
        ),
    ]
