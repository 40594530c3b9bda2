from django.contrib import admin

from .models import Shift


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "starts", "ends", "order", "is_active"]
    list_editable = ["order", "is_active"]
