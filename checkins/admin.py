from django.contrib import admin

from .models import CheckIn


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    list_display = ("athlete", "date", "readiness", "soreness", "updated_at")
    list_filter = ("date",)
    raw_id_fields = ("athlete", "created_by", "updated_by")
    search_fields = ("athlete__first_name", "athlete__last_name")
