from django.contrib import admin

from .models import Entry, ForbiddenPhrase, StandardPhrase


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    list_display = ("question", "kind", "used_count", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("question", "answer", "keywords")


@admin.register(StandardPhrase)
class StandardPhraseAdmin(admin.ModelAdmin):
    list_display = ("situation", "text", "position")


@admin.register(ForbiddenPhrase)
class ForbiddenPhraseAdmin(admin.ModelAdmin):
    list_display = ("text", "is_active")
