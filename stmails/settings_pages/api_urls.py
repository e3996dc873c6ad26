from django.urls import path

from stmails.settings_pages import api

urlpatterns = [
    path("settings", api.SettingsView.as_view(), name="api-settings"),
    path("settings/smtp/test", api.SmtpTestView.as_view(), name="api-smtp-test"),
    path("settings/<str:key>", api.SettingKeyView.as_view(), name="api-setting"),
]
