from django.contrib import admin

from .models import Building, Community, District, Grid, PipeSection, Source, Substation


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ("name", "district")
    list_filter = ("district",)
    search_fields = ("name",)


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "utility")
    list_filter = ("utility",)
    search_fields = ("code", "name")


@admin.register(Substation)
class SubstationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "source", "station")
    list_filter = ("kind", "source", "station")
    search_fields = ("code", "name")
    autocomplete_fields = ("source",)


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


@admin.register(PipeSection)
class PipeSectionAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "utility",
        "from_source",
        "from_substation",
        "to_substation",
        "to_building",
        "diameter_mm",
        "length_m",
        "laid_year",
    )
    list_filter = ("utility",)
    search_fields = ("code", "note")
    autocomplete_fields = ("from_source", "from_substation", "to_substation", "to_building")
