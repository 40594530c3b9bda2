from django.contrib import admin

from .models import Building, Community, District, Grid, Substation


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ("name", "district")
    list_filter = ("district",)
    search_fields = ("name",)


@admin.register(Substation)
class SubstationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "station")
    list_filter = ("station",)
    search_fields = ("code", "name")


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "station", "responsible")
    list_filter = ("station",)
    search_fields = ("code", "name")
    autocomplete_fields = ("responsible",)


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ("__str__", "community", "substation", "grid")
    list_filter = ("community__district", "substation", "grid")
    search_fields = ("name", "community__name")
    autocomplete_fields = ("community", "substation", "grid")
