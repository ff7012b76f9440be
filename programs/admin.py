from django.contrib import admin

from .models import Exercise


@admin.register(Exercise)
class ExerciseAdmin(admin.ModelAdmin):
    """The operators' view of every library. Clubs change their own exercises in the app (through
    programs.services); the admin is where the global library shipped with Baseline is kept."""

    list_display = ("name", "organisation", "category", "measurement", "per_side", "source")
    list_filter = ("category", "measurement", "organisation")
    search_fields = ("name", "slug", "description")
    list_select_related = ("organisation",)
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ["organisation", "created_by"]
    readonly_fields = ("created_at",)
