from django.urls import path

from stmails import settings_api

urlpatterns = [
    path("settings", settings_api.SettingsView.as_view(), name="api-settings"),
    path(
        "settings/smtp/test", settings_api.SmtpTestView.as_view(), name="api-smtp-test"
    ),
    path(
        "settings/<str:key>", settings_api.SettingKeyView.as_view(), name="api-setting"
    ),
]
