"""The operators' view of assessments. Clubs change their tests, rules and flags in the app
(through assessments.services and assessments.baselines); the admin is where the shipped
catalogue is kept. A flag's history is read-only here: it is what happened."""

from django.contrib import admin

from .models import Baseline, Flag, FlagEvent, Norm, ProtocolRule, Result, Test, TestDay


@admin.register(Test)
class TestAdmin(admin.ModelAdmin):
    list_display = ("name", "organisation", "unit", "per_side", "trials", "combine")
    list_filter = ("per_side", "organisation")
    search_fields = ("name", "slug", "citation")
    list_select_related = ("organisation",)
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ["organisation"]
    readonly_fields = ("created_at",)


class NormInline(admin.TabularInline):
    model = Norm
    extra = 0


@admin.register(Baseline)
class BaselineAdmin(admin.ModelAdmin):
    list_display = ("test", "kind", "comparator", "value", "active", "organisation", "team")
    list_filter = ("kind", "active", "organisation")
    search_fields = ("test__name", "note")
    list_select_related = ("test", "organisation", "team")
    autocomplete_fields = ["test", "organisation", "team", "updated_by"]
    readonly_fields = ("updated_at",)
    inlines = [NormInline]


@admin.register(TestDay)
class TestDayAdmin(admin.ModelAdmin):
    list_display = ("test", "team", "date", "organisation", "created_by")
    list_filter = ("organisation",)
    date_hierarchy = "date"
    list_select_related = ("test", "team", "organisation", "created_by")
    autocomplete_fields = ["test", "team", "organisation", "created_by"]
    readonly_fields = ("created_at",)


@admin.register(Result)
class ResultAdmin(admin.ModelAdmin):
    list_display = ("athlete", "test", "date", "left", "right", "both", "lsi", "passed")
    list_filter = ("passed", "test")
    search_fields = ("athlete__first_name", "athlete__last_name", "test__name")
    date_hierarchy = "date"
    list_select_related = ("athlete", "test")
    autocomplete_fields = ["athlete", "test", "recorded_by"]
    raw_id_fields = ["test_day"]
    readonly_fields = ("recorded_at", "fingerprint", "evaluated_at")


class FlagEventInline(admin.TabularInline):
    model = FlagEvent
    extra = 0
    can_delete = False
    fields = ("at", "from_status", "to_status", "by", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    list_display = ("athlete", "kind", "test", "status", "retest_due", "created_at")
    list_filter = ("status", "kind", "test")
    search_fields = ("athlete__first_name", "athlete__last_name", "key")
    list_select_related = ("athlete", "test")
    autocomplete_fields = ["athlete", "test"]
    raw_id_fields = ["result", "resolved_by", "protocol"]
    # A status change here would skip its FlagEvent: flags move in the app (services).
    readonly_fields = ("status", "created_at", "updated_at")
    inlines = [FlagEventInline]


@admin.register(ProtocolRule)
class ProtocolRuleAdmin(admin.ModelAdmin):
    list_display = ("test", "template", "organisation", "sessions_per_week", "active")
    list_filter = ("active", "organisation")
    list_select_related = ("test", "template", "organisation")
    autocomplete_fields = ["organisation", "test"]
    raw_id_fields = ["template"]
