"""Issue 11: a deferred crawl waits in the database (resume_at) for beat, not in a broker ETA; runs know their task.

A crawl deferred before this migration was rescheduled with a broker ETA and is left to it (no resume_at is set).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('ingestion', '0004_catalog_state'),
    ]

    operations = [
        migrations.AddField(
            model_name='crawlrun',
            name='resume_at',
            field=models.DateTimeField(blank=True, help_text='When beat resumes this deferred run.', null=True),
        ),
        migrations.AddField(
            model_name='crawlrun',
            name='resumed_by',
            field=models.OneToOneField(blank=True, help_text="The run that took this deferred run's work over.", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='resumes', to='ingestion.crawlrun'),
        ),
        migrations.AddField(
            model_name='crawlrun',
            name='task_id',
            field=models.CharField(blank=True, default='', help_text='The Celery task that ran it; a redelivery takes it over.', max_length=50),
        ),
        migrations.AddIndex(
            model_name='crawlrun',
            index=models.Index(condition=models.Q(('resume_at__isnull', False)), fields=['resume_at'], name='crawl_run_resumes_due'),
        ),
        migrations.AddIndex(
            model_name='crawlrun',
            index=models.Index(condition=models.Q(('task_id', ''), _negated=True), fields=['task_id'], name='crawl_run_by_task'),
        ),
    ]
