from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):

    dependencies = [
        ('guides', '0008_department_folders_and_change_notes'),
        ('wagtailimages', '0027_image_description'),
    ]

    operations = [
        migrations.AddField(
            model_name='servicehall',
            name='floor_plan',
            field=models.ForeignKey(blank=True, help_text='大厅各楼层窗口分布的图片，显示在服务大厅页面，办事指南页链接到它', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='wagtailimages.image', verbose_name='楼层平面图'),
        ),
        migrations.AddField(
            model_name='servicehall',
            name='floor_plan_alt',
            field=models.CharField(blank=True, help_text='替代文本：为看不到图片的读者说明平面图上有什么，上传平面图时必填', max_length=300, verbose_name='平面图文字说明'),
        ),
    ]
