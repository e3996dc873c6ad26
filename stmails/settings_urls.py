from django.urls import path

from stmails import settings_views as views

app_name = "settings"

urlpatterns = [
    path("", views.index, name="index"),
    path("smtp", views.smtp, name="smtp"),
    path("smtp/new", views.smtp_server, name="smtp-new"),
    path("smtp/<uuid:uuid>", views.smtp_server, name="smtp-edit"),
    path("smtp/<uuid:uuid>/test", views.smtp_test, name="smtp-test"),
    path("smtp/<uuid:uuid>/delete", views.smtp_delete, name="smtp-delete"),
    path("users", views.users, name="users"),
    path("users/admins/new", views.admin_add, name="admin-add"),
    path("users/admins/<int:pk>/delete", views.admin_delete, name="admin-delete"),
    path("users/api/new", views.api_user_add, name="api-user-add"),
    path("users/api/<int:pk>/revoke", views.api_user_revoke, name="api-user-revoke"),
    path("audit", views.audit, name="audit"),
    # Last: any registry section (General, and later ones) by its slug.
    path("<slug:name>", views.section, name="section"),
]
