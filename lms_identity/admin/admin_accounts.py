"""Django's own permission groups, kept apart from IdP teams: they grant admin permissions and hold no
learners. Listed under "Admin accounts" with a name that says so."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.models import Group as PermissionGroup
from unfold.admin import ModelAdmin

admin.site.unregister(PermissionGroup)
PermissionGroup._meta.verbose_name = "admin permission group (not an IdP team)"
PermissionGroup._meta.verbose_name_plural = "admin permission groups (not IdP teams)"


@admin.register(PermissionGroup)
class PermissionGroupAdmin(DjangoGroupAdmin, ModelAdmin):
    pass
