from django.apps import AppConfig


class ListmonkImportConfig(AppConfig):
    name = "listmonk_import"
    verbose_name = "Import from listmonk"
