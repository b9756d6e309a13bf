from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "pipeline.catalog"
    label = "catalog"
    verbose_name = "鉴定站档案目录"
    default_auto_field = "django.db.models.BigAutoField"
