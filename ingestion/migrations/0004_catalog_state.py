# The catalog counts its own changes (it used to be recommendations.DatasetState.change_count: see
# recommendations 0005, which carries the count over).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('ingestion', '0003_track_audio_isrc_analysed'),
    ]

    operations = [
        migrations.CreateModel(
            name='CatalogState',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('change_count', models.PositiveBigIntegerField(default=0, help_text='Catalog changes recorded so far.')),
                ('last_change_at', models.DateTimeField(blank=True, null=True)),
                ('last_change_reason', models.CharField(blank=True, max_length=200)),
            ],
            options={
                'verbose_name': 'catalog state',
                'verbose_name_plural': 'catalog state',
            },
        ),
    ]
